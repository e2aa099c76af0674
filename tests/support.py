"""Helpers for tests: where the reference data and the PostgreSQL server are."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_ADMIN = os.environ.get("PALERMO_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
REPO = Path(__file__).resolve().parents[1]
HEADER = [
    "cas_RegistrationYear",
    "prs_Gender",
    "prs_Citizenship",
    "vic_AgeBand",
    "vic_MajorityStatus",
    "vic_TypeOfExploitation",
    "prs_FirstName",
    "prs_Birthdate",
]
"""HTCDS columns of the small files the ingestion tests write."""


def shared(relative: str) -> Path:
    """A file of the reference data beside the project; skips the test when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"reference data {relative} is not available")
    return path


def run_palermo(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m palermo ARGS`` in ``cwd`` (wide console, so Rich does not wrap what tests look for)."""
    full = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "palermo", *args], cwd=cwd, capture_output=True, text=True, env=full, check=False
    )


def cases_csv(path: Path, rows: int, *, name: str = "Ana", year: int = 2019) -> Path:
    """A valid HTCDS CSV of ``rows`` cases (first names ``name0``, ``name1``, ...) written at ``path``."""
    lines = [",".join(HEADER)]
    lines += [f"{year},Feminine,TH,18--20,Adult,ForcedLabour,{name}{i},2000-01-{1 + i % 28:02d}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for an API token."""
    return {"Authorization": f"Bearer {token}"}


def api_error(response: Any, status: int, code: str) -> str:
    """Assert ``response`` is the API's one error shape with ``status`` and ``code``; its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    db: str, folder: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``palermo serve ARGS`` over ``db`` in its own process group (working directory ``folder``): the process
    and its base URL, once ``/health`` answers. Stop it with ``os.killpg(process.pid, signal)``."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "palermo", "--db", db, "serve", "--port", str(port), *args],
        cwd=folder, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError(f"palermo serve did not start: {process.communicate()[0]}")
