"""Bulk loading of a whole batch (its row, cases, identities, refused rows) in one transaction.

Row-by-row inserts are where ingestion time goes (a bare ``executemany`` of 1M rows into SQLite
takes 14-18 s here), so each backend gets its fastest path: SQLite through the ADBC SQLite driver
(Arrow batches bound in C; run in a child process, see :mod:`palermo.store.sqlite_worker`),
PostgreSQL through ``COPY ... FROM STDIN`` fed with CSV that polars writes. A kill at any moment
leaves a batch either wholly stored or absent.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
from sqlalchemy import Connection, Table, insert, select

from ..errors import PalermoError
from .db import Store
from .schema import ingest_batch
from .sqlite_worker import EXIT_ALREADY

Frames = list[tuple[Table, pl.DataFrame]]
COPY_ROWS = 100_000
"""Rows written to PostgreSQL's COPY, or to the SQLite worker's Arrow file, at a time."""


class StoreWriteError(PalermoError):
    """The store refused a bulk load."""

    code = "store_write_failed"


def find_batch(store: Store, org_id: int, sha256: str) -> int | None:
    """The id of the batch already stored for this organisation and file content, if any."""
    query = select(ingest_batch.c.id).where(ingest_batch.c.org_id == org_id, ingest_batch.c.file_sha256 == sha256)
    with store.engine.connect() as conn:
        found = conn.execute(query).scalar()
    return None if found is None else int(found)


def store_batch(store: Store, batch: dict[str, Any], frames: Frames) -> tuple[int, bool]:
    """Store a batch row and its tables in one transaction; returns (batch id, whether it is new).

    ``frames`` are appended with a ``batch_id`` column added. If the same organisation stored the same
    file meanwhile, nothing is written and the existing batch's id is returned with ``False``.
    """
    if store.dialect == "sqlite":
        return _sqlite_store_batch(store, batch, frames)
    with store.engine.begin() as conn:
        existing = conn.execute(
            select(ingest_batch.c.id).where(
                ingest_batch.c.org_id == batch["org_id"], ingest_batch.c.file_sha256 == batch["file_sha256"]
            )
        ).scalar()
        if existing is not None:
            return int(existing), False
        batch_id = int(conn.execute(insert(ingest_batch).values(**batch).returning(ingest_batch.c.id)).scalar_one())
        for table, frame in frames:
            copy_frame(conn, table, frame.with_columns(pl.lit(batch_id).alias("batch_id")))
    return batch_id, True


def copy_frame(conn: Connection, table: Table, frame: pl.DataFrame) -> None:
    """Append ``frame`` to ``table`` with PostgreSQL's COPY, in ``conn``'s transaction (columns by name)."""
    if frame.height == 0:
        return
    columns = ", ".join(f'"{table.c[c].name}"' for c in frame.columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(
        f"COPY {table.name} ({columns}) FROM STDIN WITH (FORMAT csv)"  # names from palermo's schema
    ) as copy:
        for part in frame.iter_slices(COPY_ROWS):  # a slice at a time: no whole-table CSV in memory
            buffer = io.BytesIO()
            part.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
            copy.write(buffer.getvalue())


def _sqlite_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as SQLAlchemy stores them in SQLite: dates as ISO text, booleans as 0/1."""
    return frame.with_columns(
        [pl.col(c).cast(pl.String) for c, t in frame.schema.items() if t == pl.Date()]
        + [pl.col(c).cast(pl.Int8) for c, t in frame.schema.items() if t == pl.Boolean()]
    )


def run_sqlite_worker(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run :mod:`palermo.store.sqlite_worker` with ``args``; raise if it failed."""
    done = subprocess.run(
        [sys.executable, "-m", "palermo.store.sqlite_worker", *args], capture_output=True, text=True, check=False
    )
    if done.returncode not in (0, EXIT_ALREADY):
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise StoreWriteError(f"the SQLite store refused the operation: {last}")
    return done


def _sqlite_store_batch(store: Store, batch: dict[str, Any], frames: Frames) -> tuple[int, bool]:
    path = store.sqlite_path()
    assert path is not None
    values = {k: v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for k, v in batch.items()}
    with tempfile.TemporaryDirectory(prefix="palermo-load-") as tmp:
        tables = []
        for number, (table, frame) in enumerate(frames):
            if frame.height == 0:
                continue
            file = Path(tmp) / f"{number}.arrow"
            stored = _sqlite_frame(frame)
            schema = stored.head(0).to_arrow().schema
            with pa.OSFile(str(file), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
                for part in stored.iter_slices(COPY_ROWS):  # converted a slice at a time
                    writer.write_table(part.to_arrow().cast(schema))
            tables.append({"table": table.name, "file": str(file)})
        manifest = Path(tmp) / "manifest.json"
        manifest.write_text(json.dumps({"batch": values, "tables": tables}), encoding="utf-8")
        done = run_sqlite_worker(["load", str(path), str(manifest)])
    return int(done.stdout.strip()), done.returncode == 0
