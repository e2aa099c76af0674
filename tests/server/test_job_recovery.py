"""Upload jobs left by a server that died run again from their kept files: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import func, select, update
from tests.support import cases_csv, start_server

from palermo.server.identity import create_user, issue_token
from palermo.server.job_leases import claim_orphans, renew
from palermo.server.job_runner import JobRunner
from palermo.server.jobs import FINISHED, get_job, submit_job
from palermo.server.kept_files import keep_file
from palermo.settings import get_settings
from palermo.standard.crosswalk import Crosswalk
from palermo.store.db import Store, open_store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, ingest_job


def _expire(store: Store, job_id: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(ingest_job).where(ingest_job.c.id == job_id).values(lease_until=None))


def test_only_jobs_whose_lease_ran_out_are_claimed_and_only_once(store: Store, org: str) -> None:
    mapping = Crosswalk.model_validate({"name": "partner", "fields": {"cas_RegistrationYear": {"column": "Year"}}})
    held = submit_job(store, org=org, submitted_by="ana", file_name="a.csv", file_bytes=10, purpose="casework",
                      dry_run=True, crosswalk=mapping, lease_seconds=60)
    orphan = submit_job(store, org=org, submitted_by="ana", file_name="b.csv", file_bytes=10, purpose="intake",
                        lease_seconds=0.001)
    time.sleep(0.01)
    assert claim_orphans(store, 60) and not claim_orphans(store, 60)  # claimed once, under a new lease
    _expire(store, held.id)
    renew(store, [held.id], 60)  # the server holding it renews its lease: it is not an orphan
    assert claim_orphans(store, 60) == []
    _expire(store, held.id)
    [again] = claim_orphans(store, 60)
    assert (again.job_id, again.purpose, again.dry_run) == (held.id, "casework", True)
    assert again.crosswalk == mapping
    with store.engine.begin() as conn:  # a finished job is never taken up
        conn.execute(update(ingest_job).where(ingest_job.c.id == orphan.id).values(status="stored", lease_until=None))
    assert claim_orphans(store, 60) == []


def test_runner_runs_an_orphan_from_its_kept_file_and_fails_one_whose_file_is_gone(
    sqlite_store: Store, tmp_path: Path
) -> None:
    store = sqlite_store
    add_organisation(store, "Hope", "NGO", "TH")
    kept = submit_job(store, org="Hope", submitted_by="ana", file_name="in.csv", file_bytes=1, purpose="intake",
                      lease_seconds=0.001)
    keep_file(store, kept.id, cases_csv(tmp_path / "upload.csv", 7))
    gone = submit_job(store, org="Hope", submitted_by="ana", file_name="lost.csv", file_bytes=1, lease_seconds=0.001)
    time.sleep(0.01)
    runner = JobRunner(1)
    try:
        assert runner.recover(store, get_settings()) == [kept.id]
        deadline = time.monotonic() + 120
        while get_job(store, kept.id, "Hope").status not in FINISHED and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        runner.close()
    done = get_job(store, kept.id, "Hope")
    assert done.status == "stored" and done.report is not None and done.report.accepted == 7
    failed = get_job(store, gone.id, "Hope")
    assert failed.status == "failed" and failed.error is not None and "upload the file again" in failed.error.message


@pytest.mark.slow
def test_a_killed_server_s_jobs_are_run_by_the_next_one(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'palermo.db'}"
    store = open_store(db)
    add_organisation(store, "Hope", "NGO", "TH")
    create_user(store, "ana", "Hope", "contributor", "correct horse battery")
    token = issue_token(store, "ana").token
    rows = 40_000
    big = cases_csv(tmp_path / "big.csv", rows)
    lease = {"PALERMO_JOB_LEASE_SECONDS": "2"}

    headers = {"Authorization": f"Bearer {token}"}
    first, url = start_server(db, tmp_path, env=lease)
    try:
        with big.open("rb") as sent:
            answer = httpx.post(f"{url}/api/uploads", headers=headers, data={"purpose": "intake"},
                                files={"file": ("big.csv", sent, "text/csv")}, timeout=60)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the server and its workers, mid-job: as when a machine stops
        first.wait(timeout=20)
    assert get_job(store, job_id, "Hope").status in {"queued", "running"}
    second, url = start_server(db, tmp_path, env=lease)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            job = httpx.get(f"{url}/api/uploads/{job_id}", headers=headers, timeout=10).json()
            if job["status"] in FINISHED:
                break
            time.sleep(0.5)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert job["status"] == "stored" and job["report"]["accepted"] == rows
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_record)).scalar_one() == rows
