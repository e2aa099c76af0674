"""The last run's model: read once per run, and a new run's model as soon as it is stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from palermo.link.history import latest_model
from palermo.store.db import Store
from palermo.store.schema import link_run


def _run(store: Store, model: dict[str, Any]) -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(link_run), {
            "started_at": datetime.now(UTC), "seconds": 1.0, "started_by": "test", "threshold": 0.9, "records": 2,
            "new_records": 2, "pairs": 1, "entities": 1, "new_entities": 1, "merged": [], "next_entity": 2,
            "model": model,
        })


def test_the_latest_model_is_read_once_per_run(store: Store) -> None:
    assert latest_model(store) is None
    _run(store, {"comparisons": ["first"]})
    first = latest_model(store)
    assert first == {"comparisons": ["first"]}
    assert latest_model(store) is first  # kept, not read again
    _run(store, {"comparisons": ["second"]})
    assert latest_model(store) == {"comparisons": ["second"]}
    assert len(store.models) == 2
