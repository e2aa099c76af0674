"""Uploads through the API as ingest jobs, against a real store (SQLite and PostgreSQL).

Jobs run on the app's own worker threads; the tests follow them through ``GET /api/uploads/{id}``.
The size cap is checked through the test client and against a real uvicorn server on a socket,
with a declared ``Content-Length`` and with a chunked body that never declares one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from tests.support import HEADER, api_error, bearer

from palermo import audit
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.server.jobs import FINISHED, save_upload, shown_name
from palermo.settings import Settings
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, ingest_batch, ingest_job, quarantine

HOPE, POLICE = "Hope Shelter", "Border Police"
USERS = {"alice": (HOPE, "contributor"), "amir": (HOPE, "admin"), "carol": (HOPE, "auditor"),
         "bob": (POLICE, "analyst")}
GOOD = ["2019", "Feminine", "TH", "18--20", "Adult", "ForcedLabour", "Ana", "2000-01-02"]
LIMIT = 64 * 1024
PURPOSE = "monthly case file from the shelter"


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([HEADER, *rows])
    return out.getvalue().encode()


def good_rows(n: int) -> list[list[str]]:
    return [[str(2015 + i % 5), *GOOD[1:6], f"Person{i}", f"19{80 + i % 20}-01-02"] for i in range(n)]


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    add_organisation(store, HOPE, "NGO", "TH")
    add_organisation(store, POLICE, "LawEnforcement", "TH")
    out = {}
    for name, (org, role) in USERS.items():
        create_user(store, name, org, role, "a long enough password")
        out[name] = issue_token(store, name).token
    return out


def make_app(store: Store) -> FastAPI:
    return create_app(store, settings=Settings(max_upload_bytes=LIMIT, upload_workers=2))


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(make_app(store)) as opened:
        yield opened




def post(client: TestClient, token: str, data: bytes, name: str = "cases.csv") -> dict[str, Any]:
    response = client.post(
        "/api/uploads", headers=bearer(token), files={"file": (name, data, "text/csv")}, data={"purpose": PURPOSE}
    )
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "queued" and job["links"]["self"] == f"/api/uploads/{job['id']}"
    assert response.headers["location"] == job["links"]["self"]
    return job


def wait(client: TestClient, token: str, job_id: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/uploads/{job_id}", headers=bearer(token))
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in FINISHED:
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
        time.sleep(0.05)


def count(store: Store, table: Any) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_good_file_is_stored_and_audited(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    job = post(client, tokens["alice"], csv_bytes(good_rows(25)))
    assert (job["organisation"], job["submitted_by"], job["file_name"]) == (HOPE, "alice", "cases.csv")
    done = wait(client, tokens["alice"], job["id"])
    assert done["status"] == "stored" and done["error"] is None, done
    report = done["report"]
    assert (report["file"], report["accepted"], report["rejected"], report["rows_read"]) == ("cases.csv", 25, 0, 25)
    assert report["status"] == "stored" and report["batch_id"] == done["batch_id"] is not None
    assert done["started_at"] <= done["finished_at"] and done["file_bytes"] == len(csv_bytes(good_rows(25)))
    assert count(store, case_record) == 25
    with store.engine.connect() as conn:
        assert conn.execute(select(ingest_batch.c.file_name)).scalar_one() == "cases.csv"
    written = [e for e in audit.entries(store) if e.action == "cases.write"]
    assert len(written) == 1
    entry = written[0]
    assert (entry.actor, entry.org, entry.purpose, entry.records) == ("alice", HOPE, PURPOSE, [done["batch_id"]])
    assert entry.details == {"job": job["id"], "status": "stored"}
    assert [e for e in audit.entries(store) if e.action == "quarantine.read"] == []  # no refused value was shown
    assert audit.verify(store).ok

    listed = client.get("/api/uploads", headers=bearer(tokens["amir"]))  # anyone of the organisation
    assert [(j["id"], j["status"], j["report"]) for j in listed.json()] == [(job["id"], "stored", None)]


def test_bad_rows_are_reported(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    rows = [GOOD, [*GOOD[:2], "Atlantis", *GOOD[3:]], [*GOOD[:5], "Bogus", *GOOD[6:]], GOOD[:3]]
    done = wait(client, tokens["amir"], post(client, tokens["amir"], csv_bytes(rows))["id"])
    assert done["status"] == "stored", done
    report = done["report"]
    assert (report["accepted"], report["rejected"], done["problems_total"]) == (1, 3, 3)
    found = {(p["row"], p["column"]): p["reason"] for p in report["problems"]}
    assert "expected a country" in found[(3, "prs_Citizenship")]
    assert "expected one or more of ForcedLabour" in found[(4, "vic_TypeOfExploitation")]
    assert "fewer than the 8 columns" in found[(5, None)]
    assert all(p["file"] == "cases.csv" for p in report["problems"])
    assert (count(store, case_record), count(store, quarantine)) == (1, 3)
    [shown] = [e for e in audit.entries(store) if e.action == "quarantine.read"]  # the answer that listed them
    assert (shown.actor, shown.org, shown.purpose, shown.records) == ("amir", HOPE, PURPOSE, [done["batch_id"]])
    assert shown.details == {"job": done["id"], "problems": 3}


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (bytes(range(256)) * 8, "binary data"),
        (csv_bytes([]), "has a header but no data rows"),
        (b"", "is empty (0 bytes)"),
    ],
    ids=["binary", "header-only", "empty"],
)
def test_unusable_file_fails_the_job(
    store: Store, client: TestClient, tokens: dict[str, str], data: bytes, words: str
) -> None:
    done = wait(client, tokens["alice"], post(client, tokens["alice"], data, name="partner.csv")["id"])
    assert done["status"] == "failed" and done["report"] is None and done["batch_id"] is None
    assert done["error"]["code"] == "bad_input"
    message = done["error"]["message"]
    assert words in message and message.startswith("file partner.csv")  # the name given, not the temp file's
    assert "upload" not in message and "/" not in message
    assert (count(store, ingest_batch), count(store, case_record), count(store, quarantine)) == (0, 0, 0)
    assert [e.details["status"] for e in audit.entries(store) if e.action == "cases.write"] == ["failed"]


def test_same_file_twice_is_already_ingested(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    data = csv_bytes(good_rows(5))
    first = wait(client, tokens["alice"], post(client, tokens["alice"], data)["id"])
    second = wait(client, tokens["amir"], post(client, tokens["amir"], data, name="again.csv")["id"])
    assert (first["status"], second["status"]) == ("stored", "already-ingested")
    assert second["batch_id"] == first["batch_id"] and second["report"]["accepted"] == 0
    assert count(store, case_record) == 5 and count(store, ingest_batch) == 1
    jobs = client.get("/api/uploads", headers=bearer(tokens["carol"])).json()
    assert [j["id"] for j in jobs] == [second["id"], first["id"]]


def test_jobs_are_private_to_their_organisation(client: TestClient, tokens: dict[str, str]) -> None:
    job = wait(client, tokens["alice"], post(client, tokens["alice"], csv_bytes(good_rows(3)))["id"])
    other = api_error(client.get(f"/api/uploads/{job['id']}", headers=bearer(tokens["bob"])), 404, "not_found")
    missing = api_error(client.get("/api/uploads/987654", headers=bearer(tokens["bob"])), 404, "not_found")
    assert other == missing.replace("987654", str(job["id"]))
    assert client.get("/api/uploads", headers=bearer(tokens["bob"])).json() == []
    api_error(client.get(f"/api/uploads/{job['id']}"), 401, "unauthorized")


def test_auditor_cannot_upload(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post(
        "/api/uploads", headers=bearer(tokens["carol"]), files={"file": ("a.csv", csv_bytes([GOOD]))},
        data={"purpose": PURPOSE},
    )
    assert "auditor" in api_error(response, 403, "forbidden")
    blank = client.post(
        "/api/uploads", headers=bearer(tokens["alice"]), files={"file": ("a.csv", csv_bytes([GOOD]))},
        data={"purpose": "   "},
    )
    api_error(blank, 422, "bad_input")
    api_error(client.post("/api/uploads", headers=bearer(tokens["alice"]), data={"purpose": PURPOSE}), 422,
          "invalid_request")
    assert count(store, ingest_job) == 0


def test_odd_file_names_are_only_shown(
    store: Store, client: TestClient, tokens: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    traversal = wait(client, tokens["alice"], post(client, tokens["alice"], csv_bytes(good_rows(2)),
                                                    name="../../etc/passwd.csv")["id"])
    assert traversal["status"] == "stored" and traversal["file_name"] == "../../etc/passwd.csv"
    assert traversal["report"]["file"] == "../../etc/passwd.csv"

    boundary = "b0undary"
    odd = "a\x00b\u202e\x1b[31m.csv"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n{PURPOSE}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{odd}"\r\n'
        f"Content-Type: text/csv\r\n\r\n"
    ).encode() + csv_bytes(good_rows(4)) + f"\r\n--{boundary}--\r\n".encode()
    sent = client.post("/api/uploads", headers={**bearer(tokens["alice"]),
                       "Content-Type": f"multipart/form-data; boundary={boundary}"}, content=body)
    assert sent.status_code == 202, sent.text
    done = wait(client, tokens["alice"], sent.json()["id"])
    assert done["status"] == "stored" and done["file_name"] == "a\\x00b\\u202e\\x1b[31m.csv"
    with store.engine.connect() as conn:
        names = set(conn.execute(select(ingest_batch.c.file_name)).scalars())
    assert names == {"../../etc/passwd.csv", "a\\x00b\\u202e\\x1b[31m.csv"}
    kept = temp / f"palermo-kept-uploads-{os.getuid()}"
    assert list(temp.iterdir()) == [kept]  # each job's temporary directory is gone; the kept copies remain
    assert sorted(p.name for p in kept.glob("*/*")) == ["upload.csv", "upload.csv"]  # under the safe name only
    assert not (tmp_path / "etc").exists() and not (temp.parent.parent / "etc" / "passwd.csv").exists()


def test_saved_upload_has_a_fixed_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for name, saved in [("../../etc/passwd.csv", "upload.csv"), ("Book.XLSX", "upload.xlsx"),
                        ("x.sh", "upload"), ("cases.csv\x00.sh", "upload"), (None, "upload")]:
        upload = save_upload(io.BytesIO(b"a,b\n1,2\n"), name)
        assert upload.path.name == saved and upload.path.parent.parent == tmp_path
        assert upload.path.read_bytes() == b"a,b\n1,2\n" and upload.size == 8
        upload.discard()
        assert not upload.directory.exists()
    with pytest.raises(Exception, match="more than the limit of 4 bytes"):
        save_upload(io.BytesIO(b"a,b\n1,2\n"), "big.csv", max_bytes=4)
    assert list(tmp_path.iterdir()) == []
    assert shown_name("x" * 1000) == "x" * 255 and shown_name("") == "upload"


def test_jobs_do_not_hold_up_other_requests(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    if store.dialect != "postgresql":
        pytest.skip("holds a table lock that only PostgreSQL has")
    with store.engine.connect() as lock:
        lock.execute(text("LOCK TABLE case_record IN EXCLUSIVE MODE"))  # the job will wait to store its rows
        job = post(client, tokens["alice"], csv_bytes(good_rows(3)))
        deadline = time.monotonic() + 30
        while client.get(f"/api/uploads/{job['id']}", headers=bearer(tokens["alice"])).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/api/uploads", headers=bearer(tokens["alice"])).json()[0]["status"] == "running"
        lock.rollback()
    assert wait(client, tokens["alice"], job["id"])["status"] == "stored"


def test_a_job_whose_worker_dies_fails_and_the_next_job_runs(
    store: Store, client: TestClient, tokens: dict[str, str]
) -> None:
    if store.dialect != "postgresql":
        pytest.skip("holds a table lock that only PostgreSQL has")
    with store.engine.connect() as lock:
        lock.execute(text("LOCK TABLE case_record IN EXCLUSIVE MODE"))  # the job waits, running, in its worker
        job = post(client, tokens["alice"], csv_bytes(good_rows(3)))
        deadline = time.monotonic() + 60
        while client.get(f"/api/uploads/{job['id']}", headers=bearer(tokens["alice"])).json()["status"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        workers = [p for p in psutil.Process().children() if "spawn_main" in " ".join(p.cmdline())]
        assert workers, "the job runs in a worker process"
        for worker in workers:
            worker.kill()
        lock.rollback()
    died = wait(client, tokens["alice"], job["id"])
    assert died["status"] == "failed" and died["error"]["code"] == "not_run"
    assert "upload the file again" in died["error"]["message"]
    assert count(store, case_record) == 0
    again = wait(client, tokens["alice"], post(client, tokens["alice"], csv_bytes(good_rows(3)))["id"])
    assert again["status"] == "stored" and count(store, case_record) == 3


def test_oversized_body_is_refused(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    big = csv_bytes(good_rows(3)) + b"#" * LIMIT
    declared = client.post("/api/uploads", headers=bearer(tokens["alice"]), files={"file": ("big.csv", big)},
                           data={"purpose": PURPOSE})
    assert "limit of 65,536 bytes" in api_error(declared, 413, "too_large")

    def chunks() -> Iterator[bytes]:
        yield b"--x\r\n"
        yield b"#" * LIMIT

    streamed = client.post("/api/uploads", headers={**bearer(tokens["alice"]),
                           "Content-Type": "multipart/form-data; boundary=x"}, content=chunks())
    assert "content-length" not in streamed.request.headers
    api_error(streamed, 413, "too_large")
    assert count(store, ingest_job) == 0
    assert client.post("/api/uploads", headers=bearer(tokens["alice"]), files={"file": ("ok.csv", big[:LIMIT - 400])},
                       data={"purpose": PURPOSE}).status_code == 202


@contextmanager
def serving(app: FastAPI) -> Iterator[int]:
    """The app on a real uvicorn server in a thread; its port."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(30)


def exchange(port: int, head: str, parts: list[bytes]) -> tuple[int, dict[str, Any]]:
    """Send a request's head and body parts on a socket, then read the answer up to the server's close."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head.encode())
        for part in parts:
            sock.sendall(part)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


def test_oversized_body_is_refused_early_by_a_real_server(store: Store, tokens: dict[str, str]) -> None:
    head = ("POST /api/uploads HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n").format(tokens["alice"])
    with serving(make_app(store)) as port:
        # A declared length over the cap: answered and closed without a byte of the body sent.
        status, body = exchange(port, head + f"Content-Length: {LIMIT * 100}\r\n\r\n", [])
        assert status == 413 and body["error"]["code"] == "too_large"
        # Chunked: answered and closed once the cap is passed, though the body never ends.
        parts = [b"5\r\n--x\r\n\r\n", f"{LIMIT:x}\r\n".encode() + b"#" * LIMIT + b"\r\n"]
        status, body = exchange(port, head + "Transfer-Encoding: chunked\r\n\r\n", parts)
        assert status == 413 and body == {
            "error": {"code": "too_large", "message": "the request body is larger than the limit of 65,536 bytes"}
        }
    assert count(store, ingest_job) == 0
