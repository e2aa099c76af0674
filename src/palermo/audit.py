"""The audit log: an append-only, hash-chained record of every read and write of case data.

Each entry says who (actor and organisation), what (action), when, which records and for what stated
purpose. Its ``hash`` is the SHA-256 of a canonical JSON of its fields and of the previous entry's hash
(``prev_hash``; 64 zeros for the first entry), so :func:`verify` finds any entry edited, reordered or
deleted after it was written (deleting the newest entries leaves a valid, shorter chain: compare the
count with an earlier report to catch that).

Appends are serialised so that concurrent writers never fork the chain: ``BEGIN IMMEDIATE`` on SQLite,
a transaction-scoped advisory lock on PostgreSQL. Given a :class:`~sqlalchemy.Connection`, :func:`append`
writes inside the caller's transaction, so the entry commits or rolls back with the action it records.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from .store.db import Store
from .store.locking import lock, write_transaction
from .store.orgs import get_organisation
from .store.schema import audit_log, organisation

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""

_LOCK_KEY = "palermo-audit-chain"
_BATCH = 10_000


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the log."""

    id: int
    at: datetime
    actor: str
    org: str | None
    action: str
    purpose: str
    records: list[Any]
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditReport:
    """The result of walking the chain: ok, or the first bad entry and why."""

    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    """``edited`` (hash mismatch) or ``reordered or deleted`` (prev_hash mismatch)."""


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _canonical(value: Any) -> Any:
    """``value`` as it reads back from a JSON column."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def entry_hash(
    entry_id: int,
    at: datetime,
    actor: str,
    org_id: int | None,
    action: str,
    purpose: str,
    records: Any,
    details: Any,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's fields."""
    payload = [int(entry_id), _aware(at).isoformat(), actor, None if org_id is None else int(org_id), action,
               purpose, records, details, prev_hash]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def transaction(store: Store) -> AbstractContextManager[Connection]:
    """A transaction that can append to the log without waiting for, or racing, other writers.

    It commits on success, rolls back on error (see :func:`palermo.store.locking.write_transaction`).
    """
    return write_transaction(store)


def _append(
    conn: Connection, actor: str, org_id: int | None, action: str, purpose: str, records: Sequence[Any],
    details: dict[str, Any],
) -> int:
    lock(conn, _LOCK_KEY)
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    prev_hash = GENESIS if prev is None else str(prev)
    at = datetime.now(UTC)
    recs, dets = _canonical(list(records)), _canonical(details)
    entry_id = conn.execute(
        insert(audit_log).returning(audit_log.c.id),
        {"at": at, "actor": actor, "org_id": org_id, "action": action, "purpose": purpose, "records": recs,
         "details": dets, "prev_hash": prev_hash, "hash": GENESIS},
    ).scalar_one()
    digest = entry_hash(entry_id, at, actor, org_id, action, purpose, recs, dets, prev_hash)
    conn.execute(audit_log.update().where(audit_log.c.id == entry_id).values(hash=digest))
    return int(entry_id)


def append(
    target: Connection | Store,
    *,
    actor: str,
    org_id: int | None,
    action: str,
    purpose: str,
    records: Sequence[Any] = (),
    details: dict[str, Any] | None = None,
) -> int:
    """Append an entry and return its id: in the caller's transaction if ``target`` is a Connection.

    ``records`` are refs of the records read or written; ``details`` any JSON-serialisable facts.
    """
    if isinstance(target, Connection):
        return _append(target, actor, org_id, action, purpose, records, details or {})
    with transaction(target) as conn:
        return _append(conn, actor, org_id, action, purpose, records, details or {})


def verify(store: Store) -> AuditReport:
    """Walk the chain in id order (streamed) and report the first entry that breaks it."""
    cols = audit_log.c
    query = select(cols.id, cols.at, cols.actor, cols.org_id, cols.action, cols.purpose, cols.records,
                   cols.details, cols.prev_hash, cols.hash).order_by(cols.id)
    expected, count = GENESIS, 0
    with store.engine.connect() as conn:
        result = conn.execution_options(yield_per=_BATCH).execute(query)
        for row in result:
            count += 1
            if row.prev_hash != expected:
                result.close()
                return AuditReport(False, count, int(row.id), "reordered or deleted")
            digest = entry_hash(row.id, row.at, row.actor, row.org_id, row.action, row.purpose, row.records,
                                row.details, row.prev_hash)
            if digest != row.hash:
                result.close()
                return AuditReport(False, count, int(row.id), "edited")
            expected = row.hash
    return AuditReport(True, count)


def entries(store: Store, limit: int = 50, org: str | None = None) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first, of all organisations or of ``org``."""
    query = (
        select(audit_log, organisation.c.name.label("org_name"))
        .select_from(audit_log.outerjoin(organisation, organisation.c.id == audit_log.c.org_id))
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    if org is not None:
        query = query.where(audit_log.c.org_id == get_organisation(store, org).id)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        AuditEntry(
            id=int(r["id"]), at=_aware(r["at"]), actor=r["actor"], org=r["org_name"], action=r["action"],
            purpose=r["purpose"], records=list(r["records"]), details=dict(r["details"]),
            prev_hash=r["prev_hash"], hash=r["hash"],
        )
        for r in rows
    ]
