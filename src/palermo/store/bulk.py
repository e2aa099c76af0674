"""Bulk loading of Arrow tables into the store, all of one batch in one transaction.

Row-by-row inserts are where ingestion time goes (a bare ``executemany`` of 1M rows into SQLite
takes 14-18 s here), so each backend gets its fastest path: SQLite through the ADBC SQLite driver
(Arrow batches bound in C), PostgreSQL through ``COPY ... FROM STDIN`` fed with CSV that polars
writes. A kill at any moment leaves a batch either wholly stored or absent.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

import polars as pl
from sqlalchemy import Table, insert, select

from .db import Store
from .schema import ingest_batch


class BulkWriter(Protocol):
    """What ingestion needs from a backend, inside one open transaction."""

    def find_batch(self, org_id: int, sha256: str) -> int | None:
        """The id of the batch already stored for this organisation and file content, if any."""

    def insert_batch(self, values: dict[str, Any]) -> int:
        """Insert the batch row and return its id."""

    def append(self, table: Table, frame: pl.DataFrame) -> None:
        """Append ``frame`` (columns named as ``table``'s) to ``table``."""


class _SqliteWriter:
    def __init__(self, conn: Any) -> None:
        self.cursor = conn.cursor()

    def find_batch(self, org_id: int, sha256: str) -> int | None:
        self.cursor.execute(
            "SELECT id FROM ingest_batch WHERE org_id = ? AND file_sha256 = ?", (org_id, sha256)
        )
        row = self.cursor.fetchone()
        return None if row is None else int(row[0])

    def insert_batch(self, values: dict[str, Any]) -> int:
        names = list(values)
        params = [
            v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in values.values()
        ]
        columns = ", ".join(ingest_batch.c[n].name for n in names)
        marks = ", ".join("?" for _ in names)
        self.cursor.execute(f"INSERT INTO ingest_batch ({columns}) VALUES ({marks}) RETURNING id", params)  # noqa: S608
        row = self.cursor.fetchone()
        assert row is not None
        return int(row[0])

    def append(self, table: Table, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        frame = frame.with_columns(
            [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Date()]
            + [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean()]
        )
        self.cursor.adbc_ingest(table.name, frame.to_arrow(), mode="append")


class _PostgresWriter:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def find_batch(self, org_id: int, sha256: str) -> int | None:
        query = select(ingest_batch.c.id).where(
            ingest_batch.c.org_id == org_id, ingest_batch.c.file_sha256 == sha256
        )
        found = self.conn.execute(query).scalar()
        return None if found is None else int(found)

    def insert_batch(self, values: dict[str, Any]) -> int:
        return int(
            self.conn.execute(insert(ingest_batch).values(**values).returning(ingest_batch.c.id)).scalar_one()
        )

    def append(self, table: Table, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        buffer = io.BytesIO()
        frame.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
        columns = ", ".join(f'"{table.c[c].name}"' for c in frame.columns)
        raw = self.conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            buffer.seek(0)
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)


@contextmanager
def bulk_transaction(store: Store) -> Iterator[BulkWriter]:
    """One transaction for a whole batch: committed when the block ends, rolled back on any error."""
    if store.dialect == "sqlite":
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        conn = adbc_sqlite.connect(store.adbc_uri(), autocommit=True)
        try:
            cur = conn.cursor()
            for pragma in ("foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
                cur.execute(f"PRAGMA {pragma}")
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteWriter(conn)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        finally:
            conn.close()
    else:
        with store.engine.begin() as pg_conn:
            yield _PostgresWriter(pg_conn)

