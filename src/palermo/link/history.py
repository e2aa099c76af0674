"""What earlier linkage runs left: the last run (with its model) and each record's entity id."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import select

from ..store.db import Store
from ..store.schema import link_entity, link_run


def latest_run(store: Store) -> dict[str, Any] | None:
    """The last linkage run's row, or None if there has been none."""
    with store.engine.connect() as conn:
        row = conn.execute(select(link_run).order_by(link_run.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row is not None else None


def entity_assignments(store: Store) -> pl.DataFrame:
    """unique_id (person record id as text) → entity_id, as the last run left them."""
    with store.engine.connect() as conn:
        rows = conn.execute(select(link_entity.c.person_id, link_entity.c.entity_id)).all()
    return pl.DataFrame(
        {"unique_id": [str(r[0]) for r in rows], "entity_id": [str(r[1]) for r in rows]},
        schema={"unique_id": pl.Utf8, "entity_id": pl.Utf8},
    )
