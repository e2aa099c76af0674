"""A background sealer chains the entries of many writers at once, and leaves nothing pending."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest
from sqlalchemy import func, select

from palermo import audit
from palermo.audit_sealing import BackgroundSealer
from palermo.link.hits import record_query
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import audit_log


def _pending(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(audit_log.c.hash.is_(None))).scalar_one())


def _wait_sealed(store: Store, seconds: float = 10.0) -> None:
    until = time.monotonic() + seconds
    while _pending(store) and time.monotonic() < until:
        time.sleep(0.02)


def test_writes_defer_to_the_sealer_which_seals_them_soon(store: Store) -> None:
    org_id = add_organisation(store, "Sealed Org", "NGO", "TH").id
    sealer = BackgroundSealer(store, delay=0.5).start()
    try:
        assert store.seal_soon  # writes now ask the sealer instead of sealing
        audit.append(store, actor="a", org_id=org_id, action="cases.read", purpose="p", records=["1"])
        assert _pending(store) == 1  # not sealed inline
        _wait_sealed(store)
        assert _pending(store) == 0
    finally:
        sealer.close()
    assert not store.seal_soon
    assert audit.verify(store) == audit.AuditReport(True, 1)


def test_concurrent_writers_end_in_one_valid_chain_and_close_seals_the_rest(store: Store) -> None:
    org_id = add_organisation(store, "Busy Org", "NGO", "TH").id
    empty = pl.DataFrame(schema={"org_id": pl.Int64, "record_ref": pl.Utf8, "score": pl.Float64})

    def one(i: int) -> None:
        if i % 2:
            audit.append(store, actor=f"t{i}", org_id=org_id, action="cases.read", purpose="load", records=[str(i)])
        else:  # a write through audit.transaction
            record_query(store, org_id, f"t{i}", "load", "phone", "plaintext", empty)

    with BackgroundSealer(store, delay=0.01), ThreadPoolExecutor(6) as pool:
        list(pool.map(one, range(60)))
    assert _pending(store) == 0  # closing sealed whatever was left
    assert audit.verify(store) == audit.AuditReport(True, 60)
    with store.engine.connect() as conn:
        seqs = conn.execute(select(audit_log.c.seq).order_by(audit_log.c.id)).scalars().all()
    assert sorted(seqs) == list(range(1, 61))


def test_one_sealer_per_store(store: Store) -> None:
    with BackgroundSealer(store), pytest.raises(RuntimeError):
        BackgroundSealer(store).start()
