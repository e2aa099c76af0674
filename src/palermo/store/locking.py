"""Serialised writes: a transaction that holds a write lock before it reads what it will decide on.

Used where a check and a write must not interleave with another writer's (the audit chain's last
hash, a privacy budget's balance). SQLite: ``BEGIN IMMEDIATE`` takes the database's write lock at
once (a deferred transaction that read first could not write later if another writer committed
meanwhile). PostgreSQL: a transaction-scoped advisory lock on a named key, which also covers the
case of no row yet to lock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, func, select

from .db import Store


def lock(conn: Connection, key: str) -> None:
    """Take the write lock for ``key`` in ``conn``'s transaction (SQLite: the database's, if not yet held)."""
    if conn.dialect.name == "sqlite":
        dbapi = conn.connection.dbapi_connection
        if not getattr(dbapi, "in_transaction", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


@contextmanager
def write_transaction(store: Store, key: str | None = None) -> Iterator[Connection]:
    """A transaction holding the write lock (SQLite) or ``key``'s advisory lock (PostgreSQL, if given).

    It commits when the block ends and rolls back if the block raises.
    """
    with store.engine.connect() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif key is not None:
            lock(conn, key)
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
