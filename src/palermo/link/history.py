"""What earlier linkage runs left: the last run (with its model) and each record's entity id."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import func, select

from ..store.db import Store
from ..store.schema import link_entity, link_run


def latest_run(store: Store) -> dict[str, Any] | None:
    """The last linkage run's row, or None if there has been none."""
    with store.engine.connect() as conn:
        row = conn.execute(select(link_run).order_by(link_run.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def latest_model(store: Store) -> dict[str, Any] | None:
    """The last linkage run's trained model, or None if there has been no run.

    A run's model never changes once stored, so each is read once per store (kept by run id): a
    person query then asks only for the last run's id, not for the whole model again.
    """
    with store.engine.connect() as conn:
        run_id = conn.execute(select(func.max(link_run.c.id))).scalar()
        if run_id is None:
            return None
        known: dict[str, Any] | None = store.models.get(int(run_id))
        if known is None:
            known = store.models[int(run_id)] = conn.execute(
                select(link_run.c.model).where(link_run.c.id == run_id)
            ).scalar_one()
    return known


def entity_assignments(store: Store) -> pl.DataFrame:
    """unique_id (person record id as text) → entity_id, as the last run left them."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(link_entity.c.person_id, link_entity.c.entity_id)).all()
    return pl.DataFrame(
        {"unique_id": [str(r[0]) for r in rows], "entity_id": [str(r[1]) for r in rows]},
        schema={"unique_id": pl.Utf8, "entity_id": pl.Utf8},
    )
