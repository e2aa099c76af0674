"""The privacy-budget ledger: every differentially private release spends ε (and δ) of its dataset's budget.

Spends compose by addition (basic composition). ``spend`` checks and records in one transaction that holds a
write lock for the check (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock per dataset on
PostgreSQL, which also covers a dataset's first spend, when there is no row to lock), so two concurrent
releases cannot together exceed the total.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select

from ..errors import ConflictError, InputError
from ..settings import get_settings
from ..store.db import Store
from ..store.locking import write_transaction
from ..store.schema import privacy_ledger

DEFAULT_DATASET = "all-cases"
_TOLERANCE = 1e-9


class BudgetExceededError(ConflictError):
    """A release would spend more privacy budget than its dataset has left (a conflict with the ledger: 409)."""

    code = "budget_exceeded"


@dataclass(frozen=True)
class LedgerEntry:
    """One release's spend."""

    id: int
    dataset: str
    release: str
    epsilon: float
    delta: float | None
    spent_at: datetime
    spent_by: str
    method: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class Balance:
    """What a dataset has spent and has left."""

    dataset: str
    total_epsilon: float
    spent_epsilon: float
    spent_delta: float
    releases: int

    @property
    def remaining_epsilon(self) -> float:
        """ε still available (never negative)."""
        return max(self.total_epsilon - self.spent_epsilon, 0.0)


def _total(total_epsilon: float | None) -> float:
    total = get_settings().privacy_budget_epsilon if total_epsilon is None else total_epsilon
    if not (total >= 0 and math.isfinite(total)):
        raise InputError(f"the total privacy budget must be a non-negative number, not {total}")
    return total


def _spent(conn: Connection, dataset: str) -> tuple[float, float, int]:
    row = conn.execute(
        select(
            func.coalesce(func.sum(privacy_ledger.c.epsilon), 0.0),
            func.coalesce(func.sum(privacy_ledger.c.delta), 0.0),
            func.count(),
        ).where(privacy_ledger.c.dataset == dataset)
    ).one()
    return float(row[0]), float(row[1]), int(row[2])


def balance(store: Store, dataset: str = DEFAULT_DATASET, total_epsilon: float | None = None) -> Balance:
    """The dataset's total, spent and remaining budget (total: the setting ``privacy_budget_epsilon``)."""
    with store.engine.connect() as conn:
        eps, delta, count = _spent(conn, dataset)
    return Balance(dataset, _total(total_epsilon), eps, delta, count)


def spend(
    store: Store,
    dataset: str,
    release: str,
    epsilon: float,
    delta: float | None,
    by: str,
    method: str,
    parameters: dict[str, Any],
    *,
    total_epsilon: float | None = None,
) -> LedgerEntry:
    """Record a release's spend, or refuse it (:class:`BudgetExceededError`) if it would exceed the total."""
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise InputError(f"epsilon must be a positive number, not {epsilon}")
    if delta is not None and not 0 <= delta < 1:
        raise InputError(f"delta must be at least 0 and below 1, not {delta}")
    if not dataset.strip() or not release.strip():
        raise InputError("a release needs a dataset name and a release name")
    total = _total(total_epsilon)
    spent_at = datetime.now(UTC)
    with write_transaction(store, "palermo-ledger:" + dataset) as conn:
        spent, _, _ = _spent(conn, dataset)
        if spent + epsilon > total + _TOLERANCE:
            left = max(total - spent, 0.0)
            raise BudgetExceededError(
                f"release {release!r} needs ε = {epsilon:g} but dataset {dataset!r} has ε = {left:g} left "
                f"of its total {total:g} ({spent:g} spent); set PALERMO_PRIVACY_BUDGET_EPSILON to change the total"
            )
        taken = conn.execute(
            select(privacy_ledger.c.id).where(
                privacy_ledger.c.dataset == dataset, privacy_ledger.c.release_name == release
            )
        ).first()
        if taken is not None:
            raise ConflictError(f"dataset {dataset!r} already has a release named {release!r}")
        new_id = conn.execute(
            insert(privacy_ledger)
            .values(
                dataset=dataset,
                release_name=release,
                epsilon=epsilon,
                delta=delta,
                spent_at=spent_at,
                spent_by=by,
                method=method,
                parameters=parameters,
            )
            .returning(privacy_ledger.c.id)
        ).scalar_one()
    return LedgerEntry(int(new_id), dataset, release, epsilon, delta, spent_at, by, method, parameters)


def ledger(store: Store, dataset: str | None = None) -> list[LedgerEntry]:
    """The recorded spends, oldest first, of one dataset or of all."""
    query = select(privacy_ledger).order_by(privacy_ledger.c.id)
    if dataset is not None:
        query = query.where(privacy_ledger.c.dataset == dataset)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        LedgerEntry(
            id=int(r["id"]),
            dataset=r["dataset"],
            release=r["release_name"],
            epsilon=float(r["epsilon"]),
            delta=None if r["delta"] is None else float(r["delta"]),
            spent_at=_aware(r["spent_at"]),
            spent_by=r["spent_by"],
            method=r["method"],
            parameters=dict(r["parameters"]),
        )
        for r in rows
    ]


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
