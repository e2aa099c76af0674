"""The ``palermo publish`` commands' presentation: a synthetic release with its data card, the budget ledger."""

from __future__ import annotations

import getpass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .cli_audit import log_operator
from .publish.budget import balance, ledger
from .publish.synthetic_release import release_synthetic
from .store.db import Store


def run_synthetic(
    store: Store,
    out: Path,
    *,
    epsilon: float,
    delta: float | None,
    seed: int | None,
    rows: int | None,
    dataset: str,
    release: str | None,
    engine: str,
    purpose: str,
    console: Console,
) -> Path:
    """Spend the budget, synthesise, write the release with its data card and utility chart; returns the folder."""
    with console.status("synthesising and measuring the release"):
        done = release_synthetic(
            store, out, epsilon=epsilon, delta=delta, seed=seed, rows=rows, dataset=dataset, release=release,
            engine=engine, by=getpass.getuser(),
        )
    card = done.card
    log_operator(store, "cases.publish", purpose, details={"kind": "synthetic", "release": card["release"],
                                                           "epsilon": card["epsilon"], "folder": out.name})
    console.print(
        f"release {escape(card['release'])}: {card['rows']:,} synthetic rows, ε = {card['epsilon']:g}, "
        f"δ = {card['delta']:g} (its seed is kept in the ledger, not in the card); written to {escape(str(out))}"
    )
    console.print(f"2-way marginal error (MAE of counts): {done.utility.mae(2):.1f}")
    return out


def show_budget(store: Store, dataset: str | None, console: Console) -> None:
    """The ledger as a table, and what each dataset has left."""
    entries = ledger(store, dataset)
    table = Table("id", "dataset", "release", "ε", "δ", "spent at", "by", "method", title="Privacy-budget ledger")
    for e in entries:
        table.add_row(
            str(e.id),
            escape(e.dataset),
            escape(e.release),
            f"{e.epsilon:g}",
            "" if e.delta is None else f"{e.delta:g}",
            e.spent_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            escape(e.spent_by),
            escape(e.method),
        )
    console.print(table if entries else "no differentially private release yet")
    names = sorted({e.dataset for e in entries} | ({dataset} if dataset else set()))
    for name in names or ["all-cases"]:
        b = balance(store, name)
        console.print(
            f"{escape(name)}: ε = {b.spent_epsilon:g} spent in {b.releases} release(s), "
            f"ε = {b.remaining_epsilon:g} left of {b.total_epsilon:g}"
        )
