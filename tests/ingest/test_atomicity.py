"""A kill -9 in the middle of a large ingest leaves every batch either fully stored or absent.

``palermo ingest`` runs as a real process on a 300,000-row file and is killed with SIGKILL at several
moments: while starting, while reading and mapping, while the rows are being written (seen growing in
SQLite's write-ahead log, or in PostgreSQL's COPY progress) and, on SQLite, while the committed rows
are checkpointed into the database file. After each kill the database must open and pass its
integrity check, hold no row of a batch it does not list, and hold every row of each batch it lists;
a last run then stores the whole file.

The guarantee rests on SQLite's locks, which hold between processes; one more test checks that they
also hold inside one process that keeps a connection open while it ingests (as a server would).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from sqlalchemy import ColumnElement, Connection, func, insert, select, text

from palermo.ingest.pipeline import ingest_file
from palermo.store.db import Store, open_store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, ingest_batch, organisation, person_identity, quarantine

PALERMO = str(Path(sys.executable).with_name("palermo"))
ROWS = 300_000
BAD_EVERY = 1000
"""Every 1000th row names an unknown country, so quarantine is written in the same batch."""
BAD_ROWS = len(range(7, ROWS, BAD_EVERY))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large file in the HTCDS field-name layout, built vectorised: consistent rows, a few bad ones."""
    rng = np.random.default_rng(2024)
    bands = np.array(["0--8", "9--17", "18--20", "21--23", "24--26", "27--29", "30--38", "39--47", "48+"])
    ages = np.array([5, 14, 19, 22, 25, 28, 34, 43, 55])
    band = rng.integers(0, len(bands), ROWS)
    year = rng.integers(2005, 2024, ROWS)
    frame = pl.DataFrame(
        {
            "cas_RegistrationYear": year,
            "prs_Gender": np.array(["Feminine", "Masculine", "F", "M"])[rng.integers(0, 4, ROWS)],
            "prs_Citizenship": np.array(["TH", "KHM", "Viet Nam", "MM", "Philippines", "LAO"])[
                rng.integers(0, 6, ROWS)
            ],
            "vic_AgeBand": bands[band],
            "vic_MajorityStatus": np.where(band < 2, "Minor", "Adult"),
            "vic_TypeOfExploitation": np.array(
                ["ForcedLabour", "SexualExploitation", "ForcedLabour;SexualExploitation"]
            )[rng.integers(0, 3, ROWS)],
            "prs_FirstName": np.arange(ROWS),
            "prs_Birthdate": year - ages[band],
        }
    ).with_columns(
        pl.format("P{}", pl.col("prs_FirstName")).alias("prs_FirstName"),
        pl.format("{}-06-15", pl.col("prs_Birthdate")).alias("prs_Birthdate"),
        pl.when(pl.int_range(pl.len()) % BAD_EVERY == 7)
        .then(pl.lit("Atlantis"))
        .otherwise(pl.col("prs_Citizenship"))
        .alias("prs_Citizenship"),
    )
    path = tmp_path_factory.mktemp("big") / "cases.csv"
    frame.write_csv(path)
    return path


def start(store: Store, path: Path, org: str, log: Path) -> subprocess.Popen[bytes]:
    """``palermo ingest`` as a separate process (output to a file, so no pipe can fill and block it)."""
    env = {k: v for k, v in os.environ.items() if k != "PALERMO_DATABASE_URL"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [PALERMO, "--db", store.url, "ingest", str(path), "--org", org],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def wait_for(proc: subprocess.Popen[bytes], condition: Callable[[], bool], timeout: float = 120) -> bool:
    """Poll ``condition`` while the process runs; True as soon as it holds, False if the process ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.005)
    return False


def kill(proc: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the process we started (by its id); True if it was still running when killed."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.returncode == -signal.SIGKILL


def settle(store: Store) -> None:
    """On PostgreSQL, wait until the killed client's server process has rolled back and gone."""
    if store.dialect != "postgresql":
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND state IS DISTINCT FROM 'idle'"
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with store.engine.connect() as conn:
            if conn.execute(query).scalar_one() == 0:
                return
        time.sleep(0.1)
    raise AssertionError("the killed ingest's server process did not go away")


def per_batch(conn: Connection, batch: ColumnElement[Any], counted: ColumnElement[Any]) -> dict[int, int]:
    """``counted`` for each batch id found in ``batch``'s table."""
    return {int(b): int(n) for b, n in conn.execute(select(batch, counted).group_by(batch))}


def check_store(store: Store, *, named: bool = True) -> list[tuple[int, int, int]]:
    """The store opens, is sound, and each batch is whole; returns (id, accepted, rejected) of each batch."""
    path = store.sqlite_path()
    if path is not None:  # first opened by plain sqlite3, which recovers the write-ahead log
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    reopened = open_store(store.url)
    try:
        with reopened.engine.connect() as conn:
            batches = [
                tuple(b)
                for b in conn.execute(
                    select(
                        ingest_batch.c.id,
                        ingest_batch.c.rows_read,
                        ingest_batch.c.rows_accepted,
                        ingest_batch.c.rows_rejected,
                    )
                )
            ]
            cases = per_batch(conn, case_record.c.batch_id, func.count())
            people = per_batch(conn, person_identity.c.batch_id, func.count())
            refused = per_batch(conn, quarantine.c.batch_id, func.count(func.distinct(quarantine.c.source_row)))
    finally:
        reopened.engine.dispose()
    listed = {b[0] for b in batches}
    assert set(cases) <= listed and set(people) <= listed and set(refused) <= listed, "rows of an absent batch"
    for batch_id, read, accepted, rejected in batches:
        assert cases.get(batch_id, 0) == accepted, f"batch {batch_id}: {cases.get(batch_id, 0)} of {accepted} cases"
        assert people.get(batch_id, 0) == (accepted if named else 0)  # every case of the file has a name, or none
        assert refused.get(batch_id, 0) == rejected
        assert accepted + rejected == read
    return [(b[0], b[2], b[3]) for b in batches]


def wal_bytes(store: Store) -> int:
    """Size of the SQLite write-ahead log (grows while a large transaction spills its pages)."""
    path = store.sqlite_path()
    assert path is not None
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def copying(store: Store, table: str) -> Callable[[], bool]:
    """Whether PostgreSQL is in the middle of a COPY into ``table`` with rows already received."""
    query = text(
        "SELECT count(*) FROM pg_stat_progress_copy "
        "WHERE datname = current_database() AND relid = CAST(:table AS regclass) AND tuples_processed > 0"
    )

    def check() -> bool:
        with store.engine.connect() as conn:
            return bool(conn.execute(query, {"table": table}).scalar_one())

    return check


@pytest.mark.slow
def test_kill_minus_9_leaves_each_batch_whole_or_absent(store: Store, org: str, big_file: Path, tmp_path: Path) -> None:
    log = tmp_path / "ingest.log"
    # 1. Killed after a fixed time: while starting, reading, mapping.
    for seconds in (0.5, 1.0, 2.0):
        proc = start(store, big_file, org, log)
        time.sleep(seconds)
        assert kill(proc), f"the ingest ended before {seconds} s; use a larger file"
        settle(store)
        assert check_store(store) == [], f"killed after {seconds} s, yet a batch was stored"

    # 2. Killed while the rows are being written, inside the transaction.
    if store.dialect == "sqlite":
        moments = {"write-ahead log growing": lambda: wal_bytes(store) > 4 << 20}
    else:
        moments = {
            "COPY into case_record": copying(store, "case_record"),
            "COPY into person_identity": copying(store, "person_identity"),
        }
    for moment, condition in moments.items():
        proc = start(store, big_file, org, log)
        landed = wait_for(proc, condition)
        killed = kill(proc)
        assert landed and killed, f"could not kill the ingest during {moment}: {log.read_text(errors='replace')}"
        settle(store)
        assert check_store(store) == [], f"killed during {moment}, yet a batch was stored"

    # 3. On SQLite, killed after the commit, while the log is checkpointed into the database file (if the
    #    kill lands in time): the batch is committed, so it must be there whole.
    stored_already = False
    if store.dialect == "sqlite":
        path = store.sqlite_path()
        assert path is not None
        size = path.stat().st_size
        proc = start(store, big_file, org, log)
        wait_for(proc, lambda: path.stat().st_size > size)
        kill(proc)
        batches = check_store(store)
        assert [(a, r) for _, a, r in batches] in ([], [(ROWS - BAD_ROWS, BAD_ROWS)])
        stored_already = bool(batches)

    # 4. A run left alone stores the whole file (or finds it already stored whole).
    proc = start(store, big_file, org, log)
    code = proc.wait(timeout=600)
    assert code == (0 if stored_already else 1), log.read_text(errors="replace")  # 1: some rows refused
    [(batch_id, accepted, rejected)] = check_store(store)
    assert (accepted, rejected) == (ROWS - BAD_ROWS, BAD_ROWS)
    with store.engine.connect() as conn:
        rows = conn.execute(select(func.min(case_record.c.source_row), func.max(case_record.c.source_row))).one()
        refused_rows = conn.execute(select(func.count(func.distinct(quarantine.c.source_row)))).scalar_one()
    assert tuple(rows) == (2, ROWS + 1)
    assert refused_rows == BAD_ROWS
    assert batch_id > 0


def test_a_connection_held_open_during_ingests_keeps_the_database_sound(sqlite_store: Store, tmp_path: Path) -> None:
    add_organisation(sqlite_store, "Test Shelter", "NGO", "TH")
    header = "cas_RegistrationYear,prs_Gender,prs_Citizenship,vic_AgeBand,vic_MajorityStatus\n"
    with sqlite_store.engine.connect() as held:  # as a server's session might keep one
        assert held.execute(select(func.count()).select_from(organisation)).scalar_one() == 1
        held.commit()
        for part in range(3):
            path = tmp_path / f"part{part}.csv"
            path.write_text(header + f"{2010 + part},F,TH,18--20,Adult\n" * 20_000, encoding="utf-8")
            assert ingest_file(sqlite_store, path, "Test Shelter").accepted == 20_000
            for i in range(100):
                name = f"Organisation {part}-{i} " + "x" * 150
                held.execute(
                    insert(organisation).values(name=name, type="NGO", country="TH", created_at=datetime.now(UTC))
                )
                held.commit()
    assert [(a, r) for _, a, r in check_store(sqlite_store, named=False)] == [(20_000, 0)] * 3
