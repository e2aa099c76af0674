"""Arrow in and out of a SQLite file through the ADBC driver, in a child process.

The ADBC SQLite driver binds Arrow batches in C (1M rows in ~3 s where ``executemany`` takes 15 s),
but it carries its own copy of the SQLite library. Two copies of SQLite in one process do not see
each other's POSIX locks, and one copy closing its last connection checkpoints and deletes the WAL
under the other's open connections, which corrupts the database. So palermo's process only ever
uses Python's own ``sqlite3`` (through SQLAlchemy), and every ADBC operation runs here, in a
short-lived child process that exchanges Arrow IPC files with the parent. The child dies with its
parent, so a killed ``palermo ingest`` leaves no load running behind it.

    python -m palermo.store.sqlite_worker load DB MANIFEST.json
    python -m palermo.store.sqlite_worker read DB QUERY.sql OUT.arrow
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXIT_ALREADY = 3
"""Exit code of ``load`` when the batch was stored before (its id on standard output)."""


def _connect(db: str) -> Any:
    import adbc_driver_sqlite.dbapi as adbc_sqlite

    conn = adbc_sqlite.connect(db, autocommit=True)
    cur = conn.cursor()
    for pragma in ("foreign_keys=ON", "busy_timeout=30000", "synchronous=NORMAL"):
        cur.execute(f"PRAGMA {pragma}")
    return conn


def _load(db: str, manifest_path: str) -> int:
    import pyarrow as pa

    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    batch: dict[str, Any] = manifest["batch"]
    conn = _connect(db)
    cur = conn.cursor()
    cur.execute("BEGIN IMMEDIATE")
    try:
        cur.execute(
            "SELECT id FROM ingest_batch WHERE org_id = ? AND file_sha256 = ?", (batch["org_id"], batch["file_sha256"])
        )
        found = cur.fetchone()
        if found is not None:
            cur.execute("ROLLBACK")
            sys.stdout.write(f"{found[0]}\n")
            return EXIT_ALREADY
        names = list(batch)
        cur.execute(
            f"INSERT INTO ingest_batch ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) RETURNING id",  # noqa: S608 - names are palermo's own columns
            [batch[n] for n in names],
        )
        row = cur.fetchone()
        batch_id = int(row[0])
        for entry in manifest["tables"]:
            with pa.OSFile(entry["file"], "rb") as source:
                reader = pa.ipc.open_file(source)
                schema = reader.schema.append(pa.field("batch_id", pa.int64()))

                def batches(reader: Any = reader, schema: Any = schema) -> Any:
                    for i in range(reader.num_record_batches):  # one batch in memory at a time
                        batch = reader.get_batch(i)
                        ids = pa.repeat(pa.scalar(batch_id, pa.int64()), batch.num_rows)
                        yield pa.RecordBatch.from_arrays([*batch.columns, ids], schema=schema)

                cur.adbc_ingest(entry["table"], pa.RecordBatchReader.from_batches(schema, batches()), mode="append")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    sys.stdout.write(f"{batch_id}\n")
    return 0


def _read(db: str, query_path: str, out: str) -> int:
    import pyarrow as pa

    conn = _connect(db)
    try:
        cur = conn.cursor()
        # The driver infers each column's type from the first batch; one batch holding every row
        # avoids a column that starts with NULLs being taken for integers.
        cur.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
        cur.execute(Path(query_path).read_text(encoding="utf-8"))
        table = cur.fetch_arrow_table()
    finally:
        conn.close()
    with pa.OSFile(out, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return 0


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import os
        import signal

        libc = ctypes.CDLL(None)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl took effect
            sys.exit(1)


def main(argv: list[str]) -> int:
    """Run one operation; the exit code says how it went (errors on standard error)."""
    _die_with_parent()
    if len(argv) == 3 and argv[0] == "load":
        return _load(argv[1], argv[2])
    if len(argv) == 4 and argv[0] == "read":
        return _read(argv[1], argv[2], argv[3])
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
