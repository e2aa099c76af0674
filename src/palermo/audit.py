"""The audit log: an append-only, hash-chained record of every read and write of case data.

Each entry says who (actor and organisation), what (action), when, which records and for what stated
purpose. Its ``hash`` is the SHA-256 of a canonical JSON of its fields and of the previous entry's hash
(``prev_hash``; 64 zeros for the first entry), so :func:`verify` finds any entry edited, reordered or
deleted after it was written (deleting the newest entries leaves a valid, shorter chain: compare the
count with an earlier report to catch that).

An append is one INSERT, with no lock, so that concurrent requests never queue behind each other
on the log; given a :class:`~sqlalchemy.Connection`, :func:`append` writes inside the caller's
transaction, so the entry commits or rolls back with the action it records. Right after, :func:`seal`
chains the committed entries not yet sealed (in id order, numbered by ``seq``), one sealer at a time
(a transaction-scoped advisory lock on PostgreSQL; the write lock on SQLite), so the chain never
forks. :func:`verify` seals what is pending and walks the chain in ``seq`` order. An entry waits
unsealed only for the moments between its commit and the next seal.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update

from .errors import InputError
from .store.db import Store
from .store.locking import write_transaction
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
    prev_hash: str | None
    hash: str | None
    """None while the entry waits to be sealed."""


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


@contextmanager
def transaction(store: Store) -> Iterator[Connection]:
    """A write transaction (see :func:`palermo.store.locking.write_transaction`) whose entries are sealed after it.

    It commits on success, rolls back on error.
    """
    with write_transaction(store) as conn:
        yield conn
    _seal_after_write(store)


def _seal_after_write(store: Store) -> None:
    """Seal now, or ask the store's background sealer to (one seal then serves many writes)."""
    if store.seal_soon:
        store.seal_soon[0]()
    else:
        seal(store)


def _insert(
    conn: Connection, actor: str, org_id: int | None, action: str, purpose: str, records: Sequence[Any],
    details: dict[str, Any],
) -> int:
    values = {"at": datetime.now(UTC), "actor": actor, "org_id": org_id, "action": action, "purpose": purpose,
              "records": _canonical(list(records)), "details": _canonical(details)}
    return int(conn.execute(insert(audit_log).returning(audit_log.c.id), values).scalar_one())


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

    ``records`` are refs of the records read or written; ``details`` any JSON-serialisable facts. The
    entry is sealed into the chain right after its transaction commits (see :func:`seal`).
    """
    if isinstance(target, Connection):
        return _insert(target, actor, org_id, action, purpose, records, details or {})
    if target.seal_soon:  # a background sealer runs: commit the entry and leave the seal to it
        with target.engine.begin() as conn:
            entry_id = _insert(conn, actor, org_id, action, purpose, records, details or {})
        _seal_after_write(target)
        return entry_id
    with target.engine.connect() as conn:  # one transaction: the entry, then (if no one else is) the seal
        if target.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        entry_id = _insert(conn, actor, org_id, action, purpose, records, details or {})
        _seal_in(conn, wait=False)
        conn.commit()
    return entry_id


def seal(store: Store, *, wait: bool = False) -> int:
    """Chain the committed entries not yet sealed, in id order, after the last sealed one; how many.

    On PostgreSQL only one sealer runs at a time; unless ``wait``, a caller that finds another sealing
    returns at once (that sealer, or the next, takes its entries). On SQLite the write lock serialises it.
    """
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        done = _seal_in(conn, wait=wait)
        conn.commit()
    return done


def _seal_in(conn: Connection, *, wait: bool) -> int:
    """Seal in ``conn``'s transaction (whose own entries count as committed); how many were sealed."""
    cols = audit_log.c
    if conn.dialect.name != "sqlite":
        if wait:
            conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(_LOCK_KEY))))
        elif not conn.execute(select(func.pg_try_advisory_xact_lock(func.hashtext(_LOCK_KEY)))).scalar_one():
            return 0
    last = conn.execute(select(cols.seq, cols.hash).where(cols.seq.is_not(None)).order_by(cols.seq.desc()).limit(1))
    row = last.first()
    seq, prev = (0, GENESIS) if row is None else (int(row.seq), str(row.hash))
    pending = conn.execute(
        select(cols.id, cols.at, cols.actor, cols.org_id, cols.action, cols.purpose, cols.records, cols.details)
        .where(cols.seq.is_(None)).order_by(cols.id)
    ).all()
    sealed = []
    for entry in pending:
        seq += 1
        digest = entry_hash(entry.id, entry.at, entry.actor, entry.org_id, entry.action, entry.purpose,
                            entry.records, entry.details, prev)
        sealed.append({"entry": entry.id, "seq": seq, "prev": prev, "digest": digest})
        prev = digest
    if sealed:
        conn.execute(
            update(audit_log).where(cols.id == bindparam("entry"), cols.seq.is_(None))
            .values(seq=bindparam("seq"), prev_hash=bindparam("prev"), hash=bindparam("digest")),
            sealed,
        )
    return len(sealed)


def verify(store: Store) -> AuditReport:
    """Seal what is pending, then walk the chain in order (streamed) and report the first entry that breaks it."""
    seal(store, wait=True)
    cols = audit_log.c
    query = select(cols.id, cols.at, cols.actor, cols.org_id, cols.action, cols.purpose, cols.records,
                   cols.details, cols.prev_hash, cols.hash).where(cols.seq.is_not(None)).order_by(cols.seq)
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


def entries(
    store: Store,
    limit: int = 50,
    org: str | None = None,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
) -> list[AuditEntry]:
    """The newest ``limit`` entries, newest first, of all organisations or of ``org``.

    Filters: ``actor`` (a user name), ``action`` (``admin`` matches ``admin`` and every ``admin.*``),
    ``since`` (inclusive) and ``until`` (exclusive) in time, and ``before`` an entry id (the next page
    after an entry: ``before`` = the last id shown).
    """
    try:
        since, until = (None if moment is None else _aware(moment) for moment in (since, until))
    except OverflowError:
        raise InputError("a date of the period is out of range", column="since") from None
    if since is not None and until is not None and until <= since:
        raise InputError("the end of the period is not after its start", column="until")
    cols = audit_log.c
    query = (
        select(audit_log, organisation.c.name.label("org_name"))
        .select_from(audit_log.outerjoin(organisation, organisation.c.id == cols.org_id))
        .order_by(cols.id.desc())
        .limit(limit)
    )
    if org is not None:
        query = query.where(cols.org_id == get_organisation(store, org).id)
    if actor is not None and actor.strip():
        query = query.where(cols.actor == " ".join(actor.split()))
    if action is not None and action.strip():
        name = action.strip()
        pattern = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"
        query = query.where(or_(cols.action == name, cols.action.like(pattern, escape="\\")))
    if since is not None:
        query = query.where(cols.at >= since)
    if until is not None:
        query = query.where(cols.at < until)
    if before is not None:
        query = query.where(cols.id < before)
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
