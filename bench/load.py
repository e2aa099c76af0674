"""Load benchmark of the shared server: a real uvicorn server over a real PostgreSQL, many concurrent clients.

What it measures (prints figures, asserts nothing; benchmarks are not tests):

1. Seeding. A fresh PostgreSQL database (``palermo_load_<random>``, dropped at the end unless
   ``--keep``) gets four organisations, an analyst and a contributor per organisation with API
   tokens, and sharing agreements so that reads cross organisations. ``--cases`` synthetic HTCDS
   rows (default 1,000,000: registration year, gender, citizenship, exploitation, first and second
   name, birth date, Thai mobile phone; some people are held by several organisations) are generated
   with polars/numpy, vectorised, written as CSV files and loaded through palermo's own
   ``ingest_file`` (PostgreSQL ``COPY`` through ADBC). ``run_linkage`` runs on the first file (at most
   20,000 records) to train the model person queries are scored with, then the plaintext hit/no-hit
   index of every record is rebuilt with ``index_plaintext`` (the call ``run_linkage`` ends with).
   Each step's time is printed.
2. Load. ``palermo serve`` in its own process (``--server-workers N`` runs ``uvicorn --workers N``
   over the same app instead), and ``--clients`` asyncio clients (httpx2, the project's HTTP client)
   in another process so that clients and server never share a GIL, for ``--seconds``: reads
   (``GET /api/cases`` with a purpose, a random page among the first ten, sometimes year, holder or
   identifying filters), hit/no-hit queries (``POST /api/hits``: phones and persons, half of them held
   by another organisation, half unknown) and uploads (``POST /api/uploads`` of a 20-row CSV whose
   rows carry a unique marker name, then ``GET /api/uploads/{id}`` every 0.25 s until the job ends).
   By default a client sends its next request as soon as it has the answer (a closed loop: the
   figures are those of a saturated server); ``--think S`` makes each client pause S seconds on
   average (exponentially distributed) between operations, as people and partner systems do.
   Per kind: requests, throughput, p50, p99 and max latency, errors (non-2xx or exceptions, with the
   first messages); the server's CPU time (its process and its upload workers) per request. Before
   the load, the same client process measures a baseline at concurrency 1: ``GET /health`` (no
   database) and ``GET /api/me`` (token check only); the ratio of the read p50 to the ``/health``
   p50 makes figures from a noisy machine comparable. Then ``--warmup`` seconds (default 5) of the
   same mix from 8 clients without pauses, not timed (their uploads are checked with the others): a
   server's first requests pay once for its pooled connections, each request thread's DuckDB
   connection, Splink's generated SQL and the upload workers' first job (without it, the first
   seconds of a run held most of its requests slower than 250 ms). Before the server starts, every
   table and index is read into the operating system's cache (``pg_prewarm``), as in a server that has
   run for a while.
3. Checks. Every row of every accepted upload is in ``case_record`` exactly once (counted per marker:
   none missing, none duplicated); expected hits answered hit and unknown values answered no hit.

Targets (issue 5): p99 < 200 ms for reads and hit/no-hit queries under 100 concurrent clients, no
errors, no upload lost.

    python bench/load.py                   # 1,000,000 cases, 100 clients, 60 s
    python bench/load.py --quick           # 20,000 cases, 20 clients, 10 s
    python bench/load.py --think 1         # the same, each client pausing 1 s on average between operations
    python bench/load.py --cases 200000 --clients 50 --seconds 30 --keep
    python bench/load.py --reuse /tmp/palermo-load-XXXX --think 2   # the kept database again, no seeding
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_CASES = 1_000_000
TARGET_P99_MS = 200.0
CHUNK_ROWS = 250_000
"""Rows per generated CSV file (an organisation with more cases sends several files)."""
TRAINING_ROWS = 20_000
"""Rows of the first file, on which run_linkage trains the model person queries are scored with."""
UPLOAD_ROWS = 20
POLL_SECONDS = 0.25
GRACE_SECONDS = 180.0
"""How long clients may still wait for their upload jobs after the load ends."""
WARMUP_CLIENTS = 8
SEEDED = "seeded.json"
"""What a --keep run writes in its files folder for --reuse: database name, tokens, targets, seeding times."""
TARGETS_SAMPLE = 4000
"""Seeded people kept as hit/no-hit query targets."""
ORGS: tuple[tuple[str, str, float], ...] = (
    ("Load Shelter North", "NGO", 0.4),
    ("Load Border Police", "LawEnforcement", 0.3),
    ("Load Labour Inspectorate", "CentralGovernmentOrganisation", 0.2),
    ("Load Legal Aid", "LegalService", 0.1),
)
"""Organisations (all in Thailand, where the phones are written) and their shares of the cases."""
GRANTS: tuple[tuple[int, int, str, str], ...] = (
    (0, 1, "cases", "full"),
    (0, 1, "identities", "full"),
    (1, 0, "cases", "pseudonymised"),
    (2, 0, "cases", "full"),
    (2, 1, "cases", "pseudonymised"),
)
"""(grantor, grantee, category, level): organisation 3 shares nothing."""
HEADER = (
    "cas_RegistrationYear", "prs_Gender", "prs_Citizenship", "vic_TypeOfExploitation", "prs_FirstName",
    "prs_SecondName", "prs_Birthdate", "prs_MobilePhone",
)
CITIZENSHIPS = ("TH", "MM", "KH", "LA", "VN", "PH", "ID", "UA", "NG", "CN")
EXPLOITATION = ("ForcedLabour", "SexualExploitation")
PURPOSE = "load benchmark: casework review"
ACTOR = "load benchmark"

Result = dict[str, Any]


# --- synthetic data, vectorised ------------------------------------------------------------------


def _name_lists() -> tuple[list[str], list[str]]:
    """Latin spellings of every given and family name in the demo's name pools."""
    from palermo.demo.names import _RAW, pool

    given: set[str] = set()
    family: set[str] = set()
    for key in _RAW:
        found = pool(key)
        given |= {v[0] for v in (*found.female, *found.male)}
        family |= {v[0] for v in found.family}
    return sorted(given), sorted(family)


def generate_cases(n: int, seed: int) -> pl.DataFrame:
    """``n`` HTCDS rows with an ``org`` column (index into ORGS) and ``person`` (shared by some rows).

    About 10% fewer people than rows, drawn with replacement, so that many people are held by two
    or more organisations (cross-organisation hits). Phones are ``08`` + the person's number.
    """
    rng = np.random.default_rng(seed)
    given, family = _name_lists()
    people = max(1, int(n * 0.9))
    person = rng.integers(0, people, n)
    # person attributes: drawn per person, gathered per row
    p_given = rng.integers(0, len(given), people)[person]
    p_family = rng.integers(0, len(family), people)[person]
    p_birth = rng.integers(-3653, 13880, people)[person]  # 1960-01-01 .. 2007-12-31, days since 1970
    p_gender = rng.integers(0, 2, people)[person]
    p_citizen = rng.integers(0, len(CITIZENSHIPS), people)[person]
    org = rng.choice(len(ORGS), size=n, p=[share for _, _, share in ORGS])
    return pl.DataFrame(
        {
            "org": org.astype(np.int32),
            "person": person.astype(np.int64),
            "cas_RegistrationYear": rng.integers(2015, 2025, n).astype(np.int32),
            "prs_Gender": pl.Series(["Feminine", "Masculine"]).gather(p_gender),
            "prs_Citizenship": pl.Series(CITIZENSHIPS).gather(p_citizen),
            "vic_TypeOfExploitation": pl.Series(EXPLOITATION).gather(rng.integers(0, len(EXPLOITATION), n)),
            "prs_FirstName": pl.Series(given).gather(p_given),
            "prs_SecondName": pl.Series(family).gather(p_family),
            "prs_Birthdate": pl.Series(p_birth.astype(np.int32)).cast(pl.Date).dt.to_string("%Y-%m-%d"),
        }
    ).with_columns(
        pl.concat_str(pl.lit("08"), pl.col("person").cast(pl.Utf8).str.zfill(8)).alias("prs_MobilePhone")
    )


def upload_csv(marker: str, rows: int, seed: int) -> bytes:
    """A small HTCDS CSV whose every row has first name ``marker`` (unknown phones, so no hit is disturbed)."""
    r = random.Random(seed)
    out = io.StringIO()
    out.write(",".join(HEADER) + "\n")
    for i in range(rows):
        out.write(
            f"{r.randint(2015, 2024)},{r.choice(['Feminine', 'Masculine'])},{r.choice(CITIZENSHIPS)},"
            f"{r.choice(EXPLOITATION)},{marker},Row{i},{r.randint(1960, 2005)}-0{r.randint(1, 9)}-1{r.randint(0, 9)},"
            f"09{r.randrange(10**8):08d}\n"
        )
    return out.getvalue().encode()


# --- seeding -------------------------------------------------------------------------------------


def _pg_database(admin: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def seed_store(url: str, cases: int, seed: int, work: Path) -> Result:
    """Fill the store at ``url``; return tokens, query targets and the seeding times."""
    from palermo.ingest.pipeline import ingest_file
    from palermo.link.hits import index_plaintext
    from palermo.link.persons import prepare_persons
    from palermo.link.records import read_person_records
    from palermo.link.run import run_linkage
    from palermo.server.identity import create_user, issue_token
    from palermo.store.agreements import grant
    from palermo.store.db import open_store
    from palermo.store.orgs import add_organisation

    times: dict[str, float] = {}
    started = time.perf_counter()
    store = open_store(url)
    tokens: dict[str, dict[str, str]] = {}
    for i, (name, kind, _) in enumerate(ORGS):
        add_organisation(store, name, kind, "TH")
        tokens[name] = {}
        for role in ("analyst", "contributor"):
            user = f"load-{role}-{i}"
            create_user(store, user, name, role, f"load-password-{uuid.uuid4().hex}")
            tokens[name][role] = issue_token(store, user, days=2).token
    for grantor, grantee, category, level in GRANTS:
        grant(store, ORGS[grantor][0], ORGS[grantee][0], category, level, by=ACTOR, days=30)
    times["schema, organisations, users, tokens, agreements"] = time.perf_counter() - started

    at = time.perf_counter()
    frame = generate_cases(cases, seed)
    files: list[tuple[Path, str]] = []
    columns = list(HEADER)
    for org_index, (name, _, _) in enumerate(ORGS):
        rows = frame.filter(pl.col("org") == org_index).select(columns)
        bounds = [0, min(TRAINING_ROWS, rows.height)] if org_index == 0 else [0]
        bounds += [*range(bounds[-1] + CHUNK_ROWS, rows.height, CHUNK_ROWS), rows.height]
        for part, (lo, hi) in enumerate(pairwise(bounds)):
            if hi > lo:
                path = work / f"seed-{org_index}-{part}.csv"
                rows.slice(lo, hi - lo).write_csv(path)
                files.append((path, name))
    # query targets: a sample of seeded rows with their holder
    sample = frame.sample(min(TARGETS_SAMPLE, frame.height), seed=seed).select(
        pl.col("org"), pl.col("person"), pl.col("prs_FirstName").alias("given_name"),
        pl.col("prs_SecondName").alias("family_name"), pl.col("prs_Birthdate").alias("birth_date"),
        pl.col("prs_MobilePhone").alias("phone"),
    )
    holders = frame.group_by("person").agg(pl.col("org").unique().alias("orgs"))
    targets = sample.join(holders, on="person").drop("org", "person").to_dicts()
    del frame, holders
    times[f"generate {cases:,} rows, write {len(files)} CSV files"] = time.perf_counter() - at

    at = time.perf_counter()
    accepted = rejected = 0
    first, *rest = files
    report = ingest_file(store, first[0], first[1])
    accepted, rejected = accepted + report.accepted, rejected + report.rejected
    times[f"ingest the first file ({report.accepted:,} rows)"] = time.perf_counter() - at
    at = time.perf_counter()
    summary = run_linkage(store, started_by=ACTOR)
    times[f"run_linkage on it (model for person queries; {summary.records:,} records)"] = time.perf_counter() - at
    at = time.perf_counter()
    for path, name in rest:
        report = ingest_file(store, path, name)
        accepted, rejected = accepted + report.accepted, rejected + report.rejected
    seconds = time.perf_counter() - at
    times[f"ingest the other {len(rest)} files ({accepted - summary.records:,} rows, "
          f"{(accepted - summary.records) / max(seconds, 1e-9):,.0f} rows/s)"] = seconds
    at = time.perf_counter()
    raw = read_person_records(store)
    keys = index_plaintext(store, prepare_persons(raw), raw.select("unique_id", pl.col("org_id").cast(pl.Int64)))
    times[f"hit/no-hit index of {raw.height:,} records (index_plaintext, {keys:,} keys)"] = time.perf_counter() - at
    del raw
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    store.engine.dispose()
    times["total"] = time.perf_counter() - started
    return {"tokens": tokens, "targets": targets, "times": times, "accepted": accepted, "rejected": rejected}


# --- the clients (their own process) -------------------------------------------------------------


@dataclass
class Kind:
    """Latencies and errors of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    messages: list[str] = field(default_factory=list)

    def failed(self, message: str) -> None:
        """Count an error; keep its message if among the first few."""
        self.errors += 1
        if len(self.messages) < 5:
            self.messages.append(message[:300])

    def summary(self, seconds: float) -> Result:
        """Requests, throughput and latency percentiles (ms)."""
        values = np.array(self.latencies) * 1000 if self.latencies else np.zeros(1)
        count = len(self.latencies)
        return {
            "requests": count, "rate": count / seconds, "p50": float(np.percentile(values, 50)),
            "p99": float(np.percentile(values, 99)), "max": float(values.max()), "errors": self.errors,
            "messages": self.messages,
        }


@dataclass
class Load:
    """What the clients did."""

    kinds: dict[str, Kind] = field(default_factory=lambda: defaultdict(Kind))
    uploads: dict[str, int] = field(default_factory=dict)
    """Marker of each accepted upload -> its rows."""
    answers: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """Query kind -> [answered as expected, not as expected]."""


async def _timed(load: Load, kind: str, call: Any) -> Any:
    """Run one request, time it, count an error for an exception or a non-2xx answer; the response or None."""
    start = time.perf_counter()
    try:
        response = await call
    except Exception as exc:  # every failure is a figure here
        load.kinds[kind].latencies.append(time.perf_counter() - start)
        load.kinds[kind].failed(f"{type(exc).__name__}: {exc}")
        return None
    load.kinds[kind].latencies.append(time.perf_counter() - start)
    if not 200 <= response.status_code < 300:
        load.kinds[kind].failed(f"{response.status_code} {response.text}")
        return None
    return response


async def _read(http: Any, load: Load, r: random.Random, token: str, readable: list[str]) -> None:
    params: dict[str, Any] = {"purpose": PURPOSE, "offset": 100 * r.randrange(10), "limit": 100}
    if r.random() < 0.3:
        first = r.randint(2015, 2022)
        params.update(first_year=first, last_year=first + 2)
    if r.random() < 0.2:
        params["holder"] = r.choice(readable)
    if r.random() < 0.1:
        params["identifying"] = "true"
    await _timed(load, "read GET /api/cases", http.get("/api/cases", params=params, headers=_auth(token)))


async def _hit(http: Any, load: Load, r: random.Random, token: str, targets: list[Result]) -> None:
    """A phone or person query: ``targets`` are people held by another organisation than the asker's."""
    person, known = r.random() < 0.4, bool(targets) and r.random() < 0.5
    target = r.choice(targets) if known else {}
    if person:
        label = "hit/no-hit person"
        query = (
            {k: target[k] for k in ("given_name", "family_name", "birth_date")} if known else
            {"given_name": f"Nohit{r.randrange(10**9)}", "family_name": "Unknown", "birth_date": "1999-12-31"}
        )
    else:
        label = "hit/no-hit phone"
        query = {"value": target["phone"] if known else f"09{r.randrange(10**8):08d}", "region": "TH"}
    body = {"kind": "person" if person else "phone", "purpose": PURPOSE, "query": query}
    response = await _timed(load, label, http.post("/api/hits", json=body, headers=_auth(token)))
    if response is not None:
        load.answers[f"{label} {'known' if known else 'unknown'}"][0 if response.json()["hit"] == known else 1] += 1


async def _upload(
    http: Any, load: Load, r: random.Random, token: str, marker: str, deadline: float
) -> None:
    data = upload_csv(marker, UPLOAD_ROWS, r.randrange(10**9))
    files = {"file": (f"{marker}.csv", data, "text/csv")}
    response = await _timed(
        load, "upload POST /api/uploads",
        http.post("/api/uploads", files=files, data={"purpose": PURPOSE}, headers=_auth(token)),
    )
    if response is None:
        return
    load.uploads[marker] = UPLOAD_ROWS
    link = response.json()["links"]["self"]
    started = time.perf_counter()
    while time.perf_counter() < deadline + GRACE_SECONDS:
        await asyncio.sleep(POLL_SECONDS)
        polled = await _timed(load, "upload status GET /api/uploads/{id}", http.get(link, headers=_auth(token)))
        if polled is None:
            continue
        job = polled.json()
        if job["status"] in ("stored", "already-ingested", "failed"):
            done = load.kinds["upload job, submitted to finished"]
            done.latencies.append(time.perf_counter() - started)
            if job["status"] != "stored":
                done.failed(f"job {job['id']} {job['status']}: {job.get('error')}")
            return
    load.kinds["upload job, submitted to finished"].failed(f"{link} not finished in time")


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _client(
    http: Any, load: Load, number: int, config: Result, deadline: float, weights: tuple[float, float, float]
) -> None:
    r = random.Random(config["seed"] * 1000 + number)
    org = number % len(ORGS)
    name = ORGS[org][0]
    token = config["tokens"][name]["analyst" if number % 2 == 0 else "contributor"]
    readable = config["readable"][name]
    others = [t for t in config["targets"] if org not in t["orgs"]]
    sequence = 0
    if config["think"] > 0:  # clients that pause arrive spread out too, not all in the first millisecond
        await asyncio.sleep(r.uniform(0, config["think"]))
    while time.perf_counter() < deadline:
        choice = r.random()
        if choice < weights[0]:
            await _read(http, load, r, token, readable)
        elif choice < weights[0] + weights[1]:
            await _hit(http, load, r, token, others)
        else:
            sequence += 1
            await _upload(http, load, r, token, f"Loadmark{config['run']}c{number}n{sequence}", deadline)
        if config["think"] > 0:  # a pause, as a person or a partner's system between two requests
            await asyncio.sleep(min(r.expovariate(1.0 / config["think"]), max(0.0, deadline - time.perf_counter())))


async def _baseline(http: Any, token: str, seconds: float) -> Result:
    """p50/p99 of GET /health and GET /api/me at concurrency 1."""
    out: Result = {}
    for label, path, headers in (("GET /health", "/health", {}), ("GET /api/me", "/api/me", _auth(token))):
        kind, until = Kind(), time.perf_counter() + seconds
        while time.perf_counter() < until:
            start = time.perf_counter()
            response = await http.get(path, headers=headers)
            kind.latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                kind.failed(f"{response.status_code} {response.text}")
        out[label] = kind.summary(seconds)
    return out


async def run_clients(config: Result) -> Result:
    """The baseline, then the load; summaries per kind."""
    import httpx2

    clients, seconds = int(config["clients"]), float(config["seconds"])
    # Idle connections are dropped before the server's keep-alive timeout (uvicorn: 5 s) can close one as a request
    # goes out on it (a ReadError, not the server's fault).
    limits = httpx2.Limits(max_connections=clients + 5, max_keepalive_connections=clients + 5, keepalive_expiry=4.0)
    async with httpx2.AsyncClient(base_url=config["base"], timeout=120.0, limits=limits) as http:
        first_token = config["tokens"][ORGS[0][0]]["analyst"]
        baseline = await _baseline(http, first_token, min(5.0, seconds / 2))
        warm, warmed = float(config["warmup"]), Load()
        if warm > 0:  # first uses (pooled connections, each thread's DuckDB, Splink's SQL, the upload workers)
            until = time.perf_counter() + warm
            warm_config = {**config, "think": 0, "run": f"{config['run']}w"}  # its own upload markers
            await asyncio.gather(*(_client(http, warmed, i, warm_config, until, tuple(config["weights"]))
                                   for i in range(min(clients, WARMUP_CLIENTS))))
        load = Load()
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(
            *(_client(http, load, i, config, deadline, tuple(config["weights"])) for i in range(clients))
        )
        elapsed = time.perf_counter() - start
    return {
        "baseline": baseline,
        "kinds": {kind: value.summary(seconds) for kind, value in sorted(load.kinds.items())},
        "uploads": {**warmed.uploads, **load.uploads},  # every row uploaded is checked, warm-up's too
        "answers": dict(load.answers),
        "elapsed": elapsed,
        "seconds": seconds,
    }


# --- the driver ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_app() -> Any:
    """The app for ``uvicorn --factory`` (``--server-workers`` > 1), over ``PALERMO_DATABASE_URL``."""
    from palermo.server.app import create_app

    return create_app(os.environ["PALERMO_DATABASE_URL"])


def start_server(url: str, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """``palermo serve`` (or uvicorn with ``workers`` processes) in its own process; returns once it answers."""
    import httpx2

    if workers == 1:
        command = [sys.executable, "-m", "palermo", "--db", url, "serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        command = [
            sys.executable, "-m", "uvicorn", "--factory", "load:make_app", "--app-dir", str(Path(__file__).parent),
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        ]
    env = {**os.environ, "PALERMO_DATABASE_URL": url}
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    until = time.monotonic() + 120
    while time.monotonic() < until:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not answer /health within 120 s")


def server_cpu(server: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by the server process and its living children (uvicorn and upload workers)."""
    import psutil

    total = 0.0
    root = psutil.Process(server.pid)
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop the server (SIGTERM: uvicorn shuts down cleanly, running upload jobs finish)."""
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def readable_holders() -> dict[str, list[str]]:
    """Organisation -> the holders whose cases it may read at record level (itself and its grantors)."""
    out = {name: [name] for name, _, _ in ORGS}
    for grantor, grantee, category, level in GRANTS:
        if category == "cases" and level in ("pseudonymised", "full"):
            out[ORGS[grantee][0]].append(ORGS[grantor][0])
    return out


def warm_database(url: str) -> str:
    """Read every table and index of the database into the operating system's cache (``pg_prewarm``, mode
    ``read``); what was done, for the report.

    A database seeded minutes ago is mostly on disk: without this, the first minutes of a run wait on disk
    reads (on this machine 20-50% I/O wait and p50 of reads 100 ms at 1M cases), which a server that
    has been running for a while does not. Needs the ``pg_prewarm`` extension (PostgreSQL's contrib).
    """
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    started = time.perf_counter()
    try:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            blocks = conn.execute(
                "SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0) FROM pg_class c "
                "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')"
            ).fetchone()
    except psycopg.Error as exc:
        return f"not prewarmed ({' '.join(str(exc).split())[:120]})"
    pages = int(blocks[0]) if blocks else 0
    return f"{pages * 8 / 1024:,.0f} MiB read into the OS cache in {time.perf_counter() - started:.1f} s"


def verify_uploads(url: str, run: str, uploads: dict[str, int]) -> Result:
    """Rows in case_record per uploaded marker, against the rows uploaded."""
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        rows = conn.execute(
            "SELECT p.prs_first_name, count(*), count(DISTINCT (c.batch_id, c.source_row)) "
            "FROM person_identity p JOIN case_record c ON c.batch_id = p.batch_id AND c.source_row = p.source_row "
            "WHERE p.prs_first_name LIKE %s GROUP BY p.prs_first_name",
            (f"Loadmark{run}%",),
        ).fetchall()
        stored = conn.execute(
            "SELECT count(*) FROM ingest_job WHERE status = 'stored' AND file_name LIKE %s", (f"Loadmark{run}%",)
        ).fetchone()
    found = {str(name): int(n) for name, n, _ in rows}
    missing = sum(1 for m, n in uploads.items() if found.get(m, 0) < n)
    duplicated = sum(1 for m, n in uploads.items() if found.get(m, 0) > n)
    unexpected = sum(1 for m in found if m not in uploads)
    return {
        "uploads": len(uploads), "rows_expected": sum(uploads.values()), "rows_found": sum(found.values()),
        "missing": missing, "duplicated": duplicated, "unexpected": unexpected,
        "jobs_stored": int(stored[0]) if stored else 0,
    }


def print_table(result: Result) -> None:
    """The per-kind table."""
    print(f"{'kind':40} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7}")
    for kind, s in result["kinds"].items():
        print(f"{kind:40} {s['requests']:>9,} {s['rate']:>8.1f} {s['p50']:>8.1f} {s['p99']:>8.1f} "
              f"{s['max']:>8.1f} {s['errors']:>7,}")
    total = sum(s["requests"] for k, s in result["kinds"].items() if not k.startswith("upload job"))
    print(f"{'all requests':40} {total:>9,} {total / result['seconds']:>8.1f}")
    if "server_cpu" in result:
        print(f"server CPU (its process and upload workers): {result['server_cpu']:.1f} s in "
              f"{result['elapsed']:.1f} s, {1000 * result['server_cpu'] / max(total, 1):.1f} ms per request")
    for kind, s in result["kinds"].items():
        for message in s["messages"]:
            print(f"    error ({kind}): {' '.join(message.split())}")


def run(args: argparse.Namespace) -> int:
    """Create the database, seed it, serve it, load it, check, print; drop the database unless --keep."""
    import psycopg

    run_id = uuid.uuid4().hex[:8]
    reused: Result | None = json.loads((args.reuse / SEEDED).read_text()) if args.reuse else None
    name = reused["database"] if reused else f"palermo_load_{run_id}"
    url = _pg_database(args.postgres, name)
    work = args.reuse or Path(tempfile.mkdtemp(prefix="palermo-load-"))
    keep = args.keep or reused is not None
    cases = reused["accepted"] if reused else args.cases
    print(
        f"python {platform.python_version()}, {platform.machine()} with {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}; database {name}{' (reused)' if reused else ''}; {cases:,} cases, "
        f"{args.clients} clients, {args.seconds:g} s, {args.server_workers} server process(es)", flush=True,
    )
    if reused is None:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    server: subprocess.Popen[bytes] | None = None
    ok = False
    try:
        if reused is None:
            seeded = seed_store(url, args.cases, args.seed, work)
            if keep:
                (work / SEEDED).write_text(json.dumps({**seeded, "database": name}))
        else:
            seeded = reused
        print(f"seeding ({seeded['accepted']:,} cases stored, {seeded['rejected']:,} rows refused)"
              f"{', reused from an earlier run' if reused else ''}:")
        for step, seconds in seeded["times"].items():
            print(f"    {step}: {seconds:.1f} s")
        print(f"database tables and indexes: {warm_database(url)}", flush=True)
        port = _free_port()
        log = work / "server.log"
        server = start_server(url, port, args.server_workers, log)
        config = {
            "base": f"http://127.0.0.1:{port}", "clients": args.clients, "seconds": args.seconds, "seed": args.seed,
            "run": run_id, "tokens": seeded["tokens"], "targets": seeded["targets"],
            "readable": readable_holders(), "weights": [0.5, 0.4, 0.1], "think": args.think,
            "warmup": args.warmup,
        }
        config_file, out_file = work / "clients.json", work / "result.json"
        config_file.write_text(json.dumps(config))
        pace = (f"each pausing {args.think:g} s on average (exponential) between operations" if args.think > 0
                else "without pauses (a closed loop: the server's saturation)")
        warm = (f"after {args.warmup:g} s of warm-up ({WARMUP_CLIENTS} clients, not counted)"
                if args.warmup > 0 else "without warm-up")
        print(f"load: {args.clients} clients for {args.seconds:g} s (50% reads, 40% hit/no-hit, 10% uploads), "
              f"{pace}, {warm} ...", flush=True)
        cpu_before = server_cpu(server)
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker-clients", str(config_file), str(out_file)],
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"the client process failed (exit status {done.returncode})")
        result: Result = json.loads(out_file.read_text())
        result["server_cpu"] = server_cpu(server) - cpu_before
        stop_server(server)
        server = None
        ok = report(result, verify_uploads(url, run_id, result["uploads"]))
        if keep:
            print(f"server log: {log}")
    finally:
        if server is not None:
            stop_server(server)
        if keep:
            print(f"database kept: {url}; files in {work} (run again on them with --reuse {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
            with psycopg.connect(args.postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if ok else 1


def report(result: Result, checked: Result) -> bool:
    """Print the figures and the verdict; True if every target is met."""
    base = result["baseline"]
    for label, s in base.items():
        print(f"baseline {label} at concurrency 1: {s['requests']:,} requests, p50 {s['p50']:.1f} ms, "
              f"p99 {s['p99']:.1f} ms")
    print(f"load phase {result['seconds']:.1f} s (with waiting for the last upload jobs {result['elapsed']:.1f} s)")
    print_table(result)
    kinds = result["kinds"]
    read = kinds.get("read GET /api/cases")
    if read:
        print(f"read p50 / GET /health p50 = {read['p50'] / base['GET /health']['p50']:.0f}x; "
              f"read p50 / GET /api/me p50 = {read['p50'] / base['GET /api/me']['p50']:.1f}x")
    for kind, (good, bad) in sorted(result["answers"].items()):
        print(f"answers {kind}: {good:,} as expected, {bad:,} not")
    print(
        f"uploads: {checked['uploads']:,} accepted, {checked['jobs_stored']:,} jobs stored; rows expected "
        f"{checked['rows_expected']:,}, found in case_record {checked['rows_found']:,}; markers with rows missing "
        f"{checked['missing']}, duplicated {checked['duplicated']}, unexpected {checked['unexpected']}"
    )
    slow = [k for k, s in kinds.items() if k.startswith(("read", "hit")) and s["p99"] >= TARGET_P99_MS]
    errors = sum(s["errors"] for s in kinds.values())
    lost = checked["missing"] + checked["duplicated"] + checked["unexpected"]
    verdicts = [
        f"p99 < {TARGET_P99_MS:g} ms for reads and hit/no-hit: " + ("OK" if not slow else "MISSED (" + ", ".join(
            f"{k} {kinds[k]['p99']:.0f} ms" for k in slow) + ")"),
        f"zero errors: {'OK' if not errors else f'MISSED ({errors:,} errors)'}",
        f"nothing lost or duplicated: {'OK' if not lost else 'MISSED'}",
    ]
    print("targets: " + "; ".join(verdicts))
    return not slow and not errors and not lost


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; run the benchmark, or the client process (``--worker-clients``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=DEFAULT_CASES, help="cases to seed (default 1,000,000)")
    parser.add_argument("--clients", type=int, default=100, help="concurrent clients (default 100)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load (default 60 s)")
    parser.add_argument("--quick", action="store_true", help="20,000 cases, 20 clients, 10 s")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause (s) of each client between operations (default 0: no pause)")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds of the same mix from 8 clients, not timed, before the load (default 5)")
    parser.add_argument("--server-workers", type=int, default=1,
                        help="uvicorn worker processes (default 1: `palermo serve` itself)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES,
                        help="PostgreSQL server URL (an existing database); a new database is created and dropped")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database and files (paths are printed)")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="load again the database a --keep run seeded (DIR: the files folder it printed)")
    parser.add_argument("--worker-clients", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_clients:
        config_file, out_file = args.worker_clients
        result = asyncio.run(run_clients(json.loads(config_file.read_text())))
        out_file.write_text(json.dumps(result))
        return 0
    if args.reuse and not (args.reuse / SEEDED).is_file():
        parser.error(f"--reuse {args.reuse}: no {SEEDED} there (it is written by a run with --keep)")
    if args.quick:
        args.cases, args.clients, args.seconds = 20_000, 20, 10.0
    if (args.cases < 100 or args.clients < 1 or args.seconds <= 0 or args.server_workers < 1 or args.think < 0
            or args.warmup < 0):
        parser.error("--cases must be at least 100, --clients and --server-workers at least 1, --seconds positive, "
                     "--think and --warmup not negative")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
