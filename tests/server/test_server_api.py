"""The HTTP API against a real store (SQLite and PostgreSQL): auth, roles, hit/no-hit end to end, error shape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.support import api_error, bearer

from palermo.ingest.pipeline import ingest_file
from palermo.link.run import run_linkage
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token, revoke_token
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import api_token

HOPE, POLICE = "Hope Shelter", "Border Police"
HEADER = "prs_FirstName,prs_SecondName,prs_Birthdate,prs_MobilePhone,prs_Gender,prs_Citizenship\n"
GIVEN = ["Maria", "Lan", "Anna", "Somchai", "Mai", "Joy", "Nita", "Rosa", "Kim", "Ana"]
FAMILY = ["Santos", "Nguyen", "Dee", "Reyes", "Tran", "Cruz", "Bui"]
USERS = {"alice": (HOPE, "analyst"), "bob": (POLICE, "contributor"), "carol": (POLICE, "auditor"),
         "dave": (POLICE, "analyst")}


def _people(second: bool) -> str:
    """30 persons known to both organisations; the second holds other phones for odd rows."""
    rows = []
    for i in range(30):
        given, family = GIVEN[i % 10], FAMILY[i % 7]
        phone = f"+669{12345000 + i:08d}" if second and i % 2 else f"+668{12345000 + i:08d}"
        sex = "Male" if given == "Somchai" else "Female"
        rows.append(f"{given},{family},{1980 + i % 20}-0{1 + i % 9}-1{i % 9},{phone},{sex},PH")
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    """Two organisations and a user of each role; user name -> bearer header value."""
    add_organisation(store, HOPE, "NGO", "TH")
    add_organisation(store, POLICE, "LawEnforcement", "TH")
    out = {}
    for name, (org, role) in USERS.items():
        create_user(store, name, org, role, "a long enough password")
        out[name] = issue_token(store, name).token
    return out


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as opened:
        yield opened




def test_health_and_me(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    me = client.get("/api/me", headers=bearer(tokens["alice"]))
    assert me.json() == {"user": "alice", "organisation": HOPE, "role": "analyst"}


def test_bad_tokens_are_refused_in_the_one_shape(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    missing = client.get("/api/me")
    assert "Bearer" in api_error(missing, 401, "unauthorized")
    assert missing.headers["www-authenticate"] == "Bearer"
    api_error(client.get("/api/me", headers=bearer(tokens["alice"][:-2] + "xx")), 401, "unauthorized")
    api_error(client.get("/api/me", headers=bearer("garbage")), 401, "unauthorized")
    with store.engine.begin() as conn:
        conn.execute(update(api_token).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert "expired" in api_error(client.get("/api/me", headers=bearer(tokens["bob"])), 401, "unauthorized")
    fresh = issue_token(store, "bob")
    assert client.get("/api/me", headers=bearer(fresh.token)).status_code == 200
    revoke_token(store, fresh.id)
    assert "revoked" in api_error(client.get("/api/me", headers=bearer(fresh.token)), 401, "unauthorized")


def test_roles(client: TestClient, tokens: dict[str, str]) -> None:
    body = {"kind": "phone", "purpose": "investigation 42", "query": {"value": "+66812345001"}}
    refused = client.post("/api/hits", json=body, headers=bearer(tokens["carol"]))
    assert "auditor" in api_error(refused, 403, "forbidden")
    decision = {"disclose": True, "note": ""}
    api_error(client.post("/api/notices/1/decision", json=decision, headers=bearer(tokens["bob"])), 403, "forbidden")


def test_hits_end_to_end(store: Store, client: TestClient, tokens: dict[str, str], tmp_path: Path) -> None:
    for org, second in ((HOPE, False), (POLICE, True)):
        path = tmp_path / f"{second}.csv"
        path.write_text(_people(second), encoding="utf-8")
        assert ingest_file(store, path, org).accepted == 30
    run_linkage(store, started_by="t")
    ask = {"kind": "phone", "purpose": "investigation 42", "query": {"value": "+66812345001"}}
    hit = client.post("/api/hits", json=ask, headers=bearer(tokens["bob"]))
    assert hit.status_code == 200, hit.text
    assert hit.json()["hit"] is True and hit.json()["organisations"] == [HOPE]
    own = {**ask, "query": {"value": "+66912345001"}}  # only the asker holds it: no hit
    assert client.post("/api/hits", json=own, headers=bearer(tokens["dave"])).json()["hit"] is False
    api_error(client.post("/api/hits", json={**ask, "query": {}}, headers=bearer(tokens["bob"])), 422, "bad_input")

    assert client.get("/api/inbox", headers=bearer(tokens["bob"])).json() == []
    notices = client.get("/api/inbox", headers=bearer(tokens["alice"])).json()
    assert len(notices) == 1
    notice = notices[0]
    assert (notice["asking_org"], notice["asked_by"], notice["purpose"], notice["status"]) == (
        POLICE, "bob", "investigation 42", "pending")
    url = f"/api/notices/{notice['id']}/decision"
    api_error(client.post(url, json={"disclose": True}, headers=bearer(tokens["dave"])), 404, "not_found")
    decided = client.post(url, json={"disclose": True, "note": "call us"}, headers=bearer(tokens["alice"]))
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["decided_by"], decided.json()["note"]) == (
        "disclosed", "alice", "call us")
    api_error(client.post(url, json={"disclose": False}, headers=bearer(tokens["alice"])), 409, "conflict")


def test_errors_have_one_shape(client: TestClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["bob"])
    api_error(client.get("/nowhere"), 404, "not_found")
    api_error(client.get("/api/hits", headers=headers), 405, "method_not_allowed")
    bad_json = client.post("/api/hits", content=b"{not json", headers={**headers, "Content-Type": "application/json"})
    api_error(bad_json, 422, "invalid_request")
    message = api_error(client.post("/api/hits", json={"kind": "dna", "purpose": ""}, headers=headers), 422,
                     "invalid_request")
    assert "kind" in message and "purpose" in message and "query" in message
    api_error(client.post("/api/notices/0/decision", json={"disclose": True}, headers=bearer(tokens["alice"])), 422,
           "invalid_request")
