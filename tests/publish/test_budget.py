"""The privacy-budget ledger: refuses overspending, records every spend, and is atomic under concurrency."""

from __future__ import annotations

import threading

import pytest

from palermo.errors import ConflictError, InputError
from palermo.publish.budget import BudgetExceededError, balance, ledger, spend
from palermo.store.db import Store


def test_spends_are_recorded_and_overspending_refused(store: Store) -> None:
    first = spend(store, "all-cases", "r1", 4.0, 1e-6, "tester", "marginals", {"seed": 1}, total_epsilon=10.0)
    spend(store, "all-cases", "r2", 5.0, None, "tester", "marginals", {}, total_epsilon=10.0)
    with pytest.raises(BudgetExceededError, match=r"ε = 1 left of its total 10"):
        spend(store, "all-cases", "r3", 2.0, None, "tester", "marginals", {}, total_epsilon=10.0)
    spend(store, "other", "r3", 2.0, None, "tester", "marginals", {}, total_epsilon=10.0)
    entries = ledger(store, "all-cases")
    assert [(e.release, e.epsilon, e.delta) for e in entries] == [("r1", 4.0, 1e-6), ("r2", 5.0, None)]
    assert entries[0].parameters == {"seed": 1} and entries[0].spent_at == first.spent_at
    assert len(ledger(store)) == 3
    left = balance(store, "all-cases", total_epsilon=10.0)
    assert left.remaining_epsilon == pytest.approx(1.0) and left.releases == 2


def test_default_total_comes_from_the_setting(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PALERMO_PRIVACY_BUDGET_EPSILON", "1.5")
    spend(store, "all-cases", "r1", 1.0, None, "tester", "marginals", {})
    with pytest.raises(BudgetExceededError):
        spend(store, "all-cases", "r2", 1.0, None, "tester", "marginals", {})
    assert balance(store).total_epsilon == 1.5


def test_bad_values_and_duplicate_names_are_refused(store: Store) -> None:
    with pytest.raises(InputError):
        spend(store, "all-cases", "r1", 0.0, None, "tester", "marginals", {})
    with pytest.raises(InputError):
        spend(store, "all-cases", "r1", float("nan"), None, "tester", "marginals", {})
    spend(store, "all-cases", "r1", 1.0, None, "tester", "marginals", {})
    with pytest.raises(ConflictError):
        spend(store, "all-cases", "r1", 1.0, None, "tester", "marginals", {})
    assert len(ledger(store)) == 1


def test_concurrent_spends_cannot_overspend(store: Store) -> None:
    """Eight threads each try to spend 3 of a total of 10: exactly three succeed."""
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            spend(store, "all-cases", f"r{n}", 3.0, None, "tester", "marginals", {}, total_epsilon=10.0)
            outcomes.append("spent")
        except BudgetExceededError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["spent"] * 3
    assert balance(store, total_epsilon=10.0).spent_epsilon == pytest.approx(9.0)
