"""Two worker processes of one ``palermo serve`` share the throttle's counts: guessing at one is refused at both."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from tests.support import bearer, start_server

from palermo.server.identity import create_user, issue_token
from palermo.server.ratelimit import TOKEN_PER_ADDRESS
from palermo.store.db import open_store
from palermo.store.orgs import add_organisation

pytestmark = pytest.mark.slow


def test_workers_share_one_allowance(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'palermo.db'}"
    store = open_store(db)
    add_organisation(store, "Hope", "NGO", "TH")
    create_user(store, "ana", "Hope", "analyst", "correct horse battery")
    good = bearer(issue_token(store, "ana").token)
    process, url = start_server(db, tmp_path, "--workers", "2")
    try:
        for i in range(TOKEN_PER_ADDRESS.limit):  # a new connection each: the kernel spreads them over both workers
            answer = httpx.get(f"{url}/api/me", headers={**bearer(f"plm_{i + 1}.guess{i}"), "Connection": "close"})
            assert answer.status_code == 401
        time.sleep(1.5)  # each worker reads the others' counts at least every second
        for _ in range(6):
            refused = httpx.get(f"{url}/api/me", headers={**good, "Connection": "close"})
            assert refused.status_code == 429, refused.text
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        store.engine.dispose()
