"""Ingestion benchmark: a CTDC-layout CSV of 1,000,000 rows, ingested end to end into SQLite and PostgreSQL.

Prints figures, asserts nothing about speed (benchmarks are not tests). Each measured step runs in a
fresh Python process (this script again, with the hidden ``--worker`` option) so that its peak RSS is
its own: the pandas baseline (``pandas.read_csv`` of the same file, parse only, every column as text),
then ``palermo.ingest.pipeline.ingest_file`` into a new SQLite file and, unless ``--no-postgres``, into
a temporary PostgreSQL database that this script creates and drops. Times are those of the measured
call alone (not interpreter start-up, imports or creating the store), with the CPU time beside them (a
busy machine stretches the first, hardly the second); peak RSS is that of the whole process tree, as
palermo writes SQLite from a child process.

Targets (issue): at 1,000,000 rows, ingesting into SQLite takes at most 30 s, peaks at most 2 GiB RSS
and is at most 4x the time pandas takes to parse the file.

    python bench/ingest.py                      # 1,000,000 rows, SQLite and PostgreSQL
    python bench/ingest.py --rows 200000 --no-postgres
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

DEFAULT_ROWS = 1_000_000
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_SECONDS = 30.0
TARGET_RSS = 2 * 1024**3
TARGET_RATIO = 4.0
ORG = "Benchmark organisation"
SEED = 1

Result = dict[str, Any]


# --- measured steps, each run in its own process -------------------------------------------------


def _peak_rss() -> int:
    """This process's peak resident set size so far, in bytes (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _cpu_seconds() -> float:
    """CPU time (user and system, all threads) used so far by this process and its waited-for children."""
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


class TreeMemory:
    """Samples the RSS of this process and of its descendants (such as palermo's SQLite store worker).

    The kernel's own peak (``ru_maxrss``) is exact for this process but useless for children started
    while this process is large: Linux carries the parent's peak over into a child across ``exec``.
    """

    def __init__(self, interval: float = 0.02) -> None:
        import psutil

        self.me = psutil.Process()
        self.cmdline = self.me.cmdline()
        self.interval = interval
        self.peak = 0
        """Highest RSS of this process plus its descendants seen."""
        self.children_peak = 0
        """Highest RSS of the descendants alone seen."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        """Take one sample."""
        import psutil

        children = 0
        for child in self.me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                # A child not yet past exec still shares this process's memory: counting it would count it twice.
                if child.cmdline() != self.cmdline:
                    children += child.memory_info().rss
        self.children_peak = max(self.children_peak, children)
        self.peak = max(self.peak, self.me.memory_info().rss + children)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def work_generate(csv: Path, rows: int, seed: int) -> Result:
    """Write the CTDC-layout CSV."""
    import polars as pl
    import pyarrow as pa

    from palermo.demo.ctdc import write_ctdc_csv

    start, cpu = time.perf_counter(), _cpu_seconds()
    write_ctdc_csv(csv, rows, seed)
    return {
        "versions": f"polars {pl.__version__}, pyarrow {pa.__version__}",
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_seconds() - cpu,
        "bytes": csv.stat().st_size,
        "peak_rss": _peak_rss(),
    }


def work_pandas(csv: Path) -> Result:
    """Parse the CSV with pandas, every column as text: the baseline."""
    import pandas as pd

    start, cpu = time.perf_counter(), _cpu_seconds()
    frame = pd.read_csv(csv, dtype=str)
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": len(frame), "columns": len(frame.columns), "peak_rss": _peak_rss()}


def work_ingest(csv: Path, url: str) -> Result:
    """Ingest the CSV into the store at ``url`` (created and migrated here, not timed), then count what it holds."""
    from sqlalchemy import func, select

    from palermo.ingest.pipeline import ingest_file
    from palermo.store.db import open_store
    from palermo.store.orgs import add_organisation
    from palermo.store.schema import case_record, person_identity, quarantine

    store = open_store(url)
    add_organisation(store, ORG, "NGO", "TH")
    stages: list[tuple[str, float, int]] = []  # stage name, when it started, peak RSS so far

    def progress(stage: str, _done: float) -> None:
        stages.append((stage, time.perf_counter(), _peak_rss()))

    rss_before = _peak_rss()
    with TreeMemory() as tree:
        start, cpu = time.perf_counter(), _cpu_seconds()
        report = ingest_file(store, csv, ORG, progress=progress)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    own_peak = _peak_rss()
    peak = max(tree.peak, own_peak)  # sampled, but never below the kernel's exact figure for this process
    with store.engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(case_record)).scalar_one()
        identities = conn.execute(select(func.count()).select_from(person_identity)).scalar_one()
        held_rows = conn.execute(select(func.count(quarantine.c.source_row.distinct()))).scalar_one()
        held = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    store.engine.dispose()
    return {
        "seconds": seconds,
        "cpu": cpu,
        "peak_rss": peak,
        "peak_rss_own": own_peak,
        "peak_rss_children": tree.children_peak,
        "peak_rss_before": rss_before,
        "status": report.status,
        "layout": report.layout,
        "rows_read": report.rows_read,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "skipped": report.skipped_empty,
        "top_reasons": [(r.column, r.reason, r.rows) for r in report.top_reasons[:3]],
        "db_cases": cases,
        "db_identities": identities,
        "db_quarantined_rows": held_rows,
        "db_quarantine": held,
        "stages": [(name, at - start, top) for name, at, top in stages] + [("end", seconds, own_peak)],
    }


def worker(kind: str, csv: Path, rows: int, seed: int, url: str | None) -> None:
    """Run one measured step and print its result as one JSON line."""
    if kind == "generate":
        result = work_generate(csv, rows, seed)
    elif kind == "pandas":
        result = work_pandas(csv)
    else:
        assert url is not None
        result = work_ingest(csv, url)
    print(json.dumps(result))


# --- the driver ----------------------------------------------------------------------------------


def _in_child(kind: str, csv: Path, rows: int, seed: int, url: str | None = None) -> Result:
    """Run ``kind`` in a fresh interpreter running this script; its last stdout line is the result."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        kind,
        "--csv",
        str(csv),
        "--rows",
        str(rows),
        "--seed",
        str(seed),
    ]
    if url is not None:
        command += ["--url", url]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the {kind} step failed (exit status {done.returncode}); its error is above")
    result: Result = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def gib(n: float) -> str:
    """Bytes as GiB (or MiB below one GiB)."""
    return f"{n / 1024**3:.2f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"


@dataclass
class Verdict:
    """The targets met or missed by one ingestion."""

    misses: list[str]
    applies: bool

    def text(self) -> str:
        """The bracketed verdict printed after the figures."""
        targets = f"target <={TARGET_SECONDS:g} s, <={gib(TARGET_RSS)}, <={TARGET_RATIO:g}x"
        if not self.applies:
            return f"[{targets} at {DEFAULT_ROWS:,} rows]"
        return f"[{targets}: {'OK' if not self.misses else 'MISSED ' + ', '.join(self.misses)}]"


def judge(rows: int, seconds: float, peak: int, ratio: float) -> Verdict:
    """Compare one ingestion with the issue's targets (which are set for 1,000,000 rows)."""
    misses = []
    if seconds > TARGET_SECONDS:
        misses.append("time")
    if peak > TARGET_RSS:
        misses.append("RSS")
    if ratio > TARGET_RATIO:
        misses.append("ratio")
    return Verdict(misses=misses, applies=rows == DEFAULT_ROWS)


def report_ingest(label: str, rows: int, result: Result, baseline: Result) -> bool:
    """Print one ingestion's figures; True if the counts add up and match the store."""
    seconds, cpu = float(result["seconds"]), float(result["cpu"])
    ratio = seconds / float(baseline["seconds"])
    verdict = judge(rows, seconds, int(result["peak_rss"]), ratio)
    print(
        f"palermo ingest -> {label}  {seconds:.1f} s (cpu {cpu:.1f} s)  {rows / seconds:,.0f} rows/s  "
        f"peak RSS {gib(result['peak_rss'])}  ratio {ratio:.1f}x pandas (cpu {cpu / float(baseline['cpu']):.1f}x)  "
        f"{verdict.text()}"
    )
    accepted, rejected, skipped = int(result["accepted"]), int(result["rejected"]), int(result["skipped"])
    total = accepted + rejected + skipped
    counts_ok = (
        result["status"] == "stored"
        and total == rows == int(result["rows_read"])
        and int(result["db_cases"]) == accepted
        and int(result["db_quarantined_rows"]) == rejected
    )
    print(
        f"    layout {result['layout']}, {result['status']}: accepted {accepted:,} + rejected {rejected:,}"
        f" + skipped {skipped:,} = {total:,} of {rows:,} rows; in the store {int(result['db_cases']):,} cases,"
        f" {int(result['db_identities']):,} identities, {int(result['db_quarantined_rows']):,} quarantined rows"
        f" ({int(result['db_quarantine']):,} reasons)  [counts {'OK' if counts_ok else 'WRONG'}]"
    )
    for column, reason, n in result["top_reasons"]:
        print(f"    refused {n:,} rows: {column}: {reason}")
    stages = result["stages"]
    parts = [
        f"{name} {end - at:.1f} s (peak {gib(top)})"
        for (name, at, _), (_, end, top) in pairwise(stages)
        if name != "done"
    ]
    print(f"    stages (peak RSS of the ingesting process): {', '.join(parts)}")
    workers = int(result["peak_rss_children"])
    print(
        f"    peak RSS: whole process tree {gib(result['peak_rss'])}; ingesting process {gib(result['peak_rss_own'])}"
        f" ({gib(result['peak_rss_before'])} before ingesting)"
        + (f"; child processes (store worker) {gib(workers)}" if workers else "")
    )
    return counts_ok


def _pg_database(admin: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def fastest(results: list[Result]) -> Result:
    """The fastest of repeated measurements, with the highest peak RSS of them all (to stay on the safe side)."""
    best = dict(min(results, key=lambda r: float(r["seconds"])))
    best["peak_rss"] = max(int(r["peak_rss"]) for r in results)
    return best


def run_postgres(admin: str, csv: Path, args: argparse.Namespace, baseline: Result) -> bool:
    """Ingest into temporary PostgreSQL databases (created and dropped here); True if the counts add up."""
    import psycopg

    results = []
    for _ in range(args.repeat):
        name = f"palermo_bench_{uuid.uuid4().hex[:10]}"
        try:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())
            print(f"palermo ingest -> PostgreSQL (COPY)  skipped: cannot create a database at {admin}: {reason}")
            return True
        try:
            results.append(_in_child("ingest", csv, args.rows, args.seed, _pg_database(admin, name)))
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return report_ingest("PostgreSQL (COPY)", args.rows, fastest(results), baseline)


def run(args: argparse.Namespace) -> int:
    """Generate, measure, print; exit status 1 if ingestion's counts do not add up."""
    rows: int = args.rows
    work = Path(tempfile.mkdtemp(prefix="palermo-bench-"))
    ok = True
    try:
        csv = work / "ctdc.csv"
        made = _in_child("generate", csv, rows, args.seed)
        print(
            f"python {platform.python_version()}, {made['versions']}, {platform.machine()} with {_cpus()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}" + (f"; best of {args.repeat} runs" if args.repeat > 1 else "")
        )
        print(f"generate  {rows:,} rows  {made['bytes'] / 1e6:.0f} MB  {made['seconds']:.1f} s")
        base = fastest([_in_child("pandas", csv, rows, args.seed) for _ in range(args.repeat)])
        seconds, cpu, peak = float(base["seconds"]), float(base["cpu"]), int(base["peak_rss"])
        print(f"pandas.read_csv (parse only)  {seconds:.1f} s (cpu {cpu:.1f} s)  peak RSS {gib(peak)}")
        if base["rows"] != rows:
            print(f"    pandas read {base['rows']:,} rows, not {rows:,}")
        results = []
        for i in range(args.repeat):
            database = work / f"palermo-{i}.db"
            results.append(_in_child("ingest", csv, rows, args.seed, f"sqlite:///{database}"))
            if i + 1 < args.repeat or not args.keep:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
        ok = report_ingest("SQLite", rows, fastest(results), base)
        if not args.no_postgres:
            ok = run_postgres(args.postgres, csv, args, base) and ok
    finally:
        if args.keep:
            print(f"files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the benchmark, or one measured step of it (``--worker``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows to generate (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the simulated cases")
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="PostgreSQL server URL (a database that exists); a temporary database is created and dropped",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL measurement")
    parser.add_argument("--repeat", type=int, default=1, help="measure each step N times and keep the fastest")
    parser.add_argument("--keep", action="store_true", help="keep the CSV and SQLite file (the path is printed)")
    parser.add_argument("--worker", choices=["generate", "pandas", "ingest"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        parser.error("--rows and --repeat must be at least 1")
    if args.worker:
        worker(args.worker, args.csv, args.rows, args.seed, args.url)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
