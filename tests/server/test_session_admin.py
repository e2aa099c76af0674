"""Password sign-in, throttling of failed sign-ins and bearer tokens, and the admin endpoints (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support import api_error, bearer

from palermo import audit
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.server.ratelimit import SIGNIN_PER_ADDRESS, AuthThrottle, Rule
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import api_token

HOPE, POLICE = "Hope Shelter", "Border Police"
PASSWORD = "a long enough password"
USERS = {"root": (POLICE, "admin"), "alice": (HOPE, "analyst"), "bob": (POLICE, "contributor"),
         "carol": (POLICE, "auditor")}


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    """Two organisations and a user of each role; user name -> API token."""
    add_organisation(store, HOPE, "NGO", "TH")
    add_organisation(store, POLICE, "LawEnforcement", "TH")
    out = {}
    for name, (org, role) in USERS.items():
        create_user(store, name, org, role, PASSWORD)
        out[name] = issue_token(store, name).token
    return out


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["counted in memory", "counted in the store"])
def app(request: pytest.FixtureRequest, store: Store, clock: FakeClock) -> FastAPI:
    shared = request.param == "counted in the store"
    return create_app(store, throttle=AuthThrottle(clock=clock, store=store if shared else None))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as opened:
        yield opened




def _sign_in(client: TestClient, user: str, password: str = PASSWORD) -> Any:
    return client.post("/api/session", json={"user": user, "password": password})


def test_sign_in_issues_a_short_lived_token_and_sign_out_revokes_it(
    store: Store, client: TestClient, tokens: dict[str, str]
) -> None:
    before = datetime.now(UTC)
    signed = _sign_in(client, " alice ")
    assert signed.status_code == 201, signed.text
    body = signed.json()
    assert set(body) == {"token", "expires_at", "user", "organisation", "role"}
    assert (body["user"], body["organisation"], body["role"]) == ("alice", HOPE, "analyst")
    expires = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(hours=11.9) < expires < datetime.now(UTC) + timedelta(hours=12, seconds=1)
    token_id = int(body["token"].removeprefix("plm_").split(".")[0])
    with store.engine.connect() as conn:
        stored = conn.execute(select(api_token.c.secret_sha256).where(api_token.c.id == token_id)).scalar_one()
    assert body["token"].split(".", 1)[1] not in stored

    me = client.get("/api/me", headers=bearer(body["token"]))
    assert me.json() == {"user": "alice", "organisation": HOPE, "role": "analyst"}
    assert client.delete("/api/session", headers=bearer(body["token"])).status_code == 204
    assert "revoked" in api_error(client.get("/api/me", headers=bearer(body["token"])), 401, "unauthorized")
    assert client.get("/api/me", headers=bearer(tokens["alice"])).status_code == 200  # other tokens live on
    api_error(client.delete("/api/session"), 401, "unauthorized")
    trail = [(e.actor, e.action) for e in reversed(audit.entries(store))]
    assert trail[-2:] == [("alice", "session.sign_in"), ("alice", "session.sign_out")]


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient, tokens: dict[str, str]) -> None:
    wrong = api_error(_sign_in(client, "alice", PASSWORD + "!"), 401, "unauthorized")
    unknown = api_error(_sign_in(client, "mallory"), 401, "unauthorized")
    assert wrong == unknown == "wrong user name or password"
    assert PASSWORD not in wrong
    api_error(client.post("/api/session", json={"user": "alice"}), 422, "invalid_request")
    api_error(client.post("/api/session", json={"user": "alice", "password": "x" * 2000}), 422, "invalid_request")


def test_failed_sign_ins_are_throttled_per_user(client: TestClient, clock: FakeClock, tokens: dict[str, str]) -> None:
    for _ in range(5):
        api_error(_sign_in(client, "alice", "guess guess guess"), 401, "unauthorized")
    throttled = _sign_in(client, "ALICE ")  # the right password, the same user as typed differently
    api_error(throttled, 429, "too_many_requests")
    assert 1 <= int(throttled.headers["retry-after"]) <= 15 * 60
    assert _sign_in(client, "bob").status_code == 201  # another user from the same address
    clock.now += 15 * 60 - 10
    api_error(_sign_in(client, "alice"), 429, "too_many_requests")
    clock.now += 11
    assert _sign_in(client, "alice").status_code == 201
    for _ in range(5):  # the success forgave the earlier failures
        api_error(_sign_in(client, "alice", "guess guess guess"), 401, "unauthorized")
    api_error(_sign_in(client, "alice"), 429, "too_many_requests")


def test_failed_sign_ins_are_throttled_per_address(store: Store, clock: FakeClock, tokens: dict[str, str]) -> None:
    app = create_app(store, throttle=AuthThrottle(clock=clock, signin_per_address=Rule(SIGNIN_PER_ADDRESS.name, 3, 60)))
    with TestClient(app, client=("198.51.100.7", 4000)) as near, TestClient(app, client=("203.0.113.9", 4000)) as far:
        for name in ("mallory", "trent", "eve"):
            api_error(_sign_in(near, name), 401, "unauthorized")
        api_error(_sign_in(near, "alice"), 429, "too_many_requests")
        assert _sign_in(far, "alice").status_code == 201
        clock.now += 61
        assert _sign_in(near, "alice").status_code == 201


def test_bad_bearer_tokens_are_throttled_per_address(app: FastAPI, clock: FakeClock, tokens: dict[str, str]) -> None:
    good = bearer(tokens["alice"])
    with TestClient(app, client=("198.51.100.7", 4000)) as near, TestClient(app, client=("2001:db8::1", 4000)) as far:
        for i in range(20):
            api_error(near.get("/api/me", headers=bearer(f"plm_{i + 1}.guess{i}")), 401, "unauthorized")
        refused = near.get("/api/me", headers=good)
        api_error(refused, 429, "too_many_requests")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert far.get("/api/me", headers=good).status_code == 200
        clock.now += 61
        assert near.get("/api/me", headers=good).status_code == 200
    with TestClient(app, client=("2001:db8::2", 4000)) as neighbour:  # same IPv6 /64 as "far": its own count
        assert neighbour.get("/api/me", headers=good).status_code == 200


def test_admin_manages_organisations_users_and_tokens(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    root = bearer(tokens["root"])
    org = client.post("/api/admin/organisations", json={"name": "Safe Haven", "type": "NGO", "country": "Thailand"},
                      headers=root)
    assert org.status_code == 201, org.text
    assert (org.json()["name"], org.json()["type"], org.json()["country"]) == ("Safe Haven", "NGO", "TH")
    listed = client.get("/api/admin/organisations", headers=root).json()
    assert [o["name"] for o in listed] == [POLICE, HOPE, "Safe Haven"]
    assert all(o["cases"] == 0 for o in listed)

    new_password = "another long password"
    made = client.post("/api/admin/users", json={"name": "dora", "organisation": "Safe Haven", "role": "contributor",
                                                 "password": new_password}, headers=root)
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["organisation"], made.json()["role"]) == (
        "dora", "Safe Haven", "contributor")
    people = client.get("/api/admin/users", headers=root)
    assert [u["name"] for u in people.json()] == ["alice", "bob", "carol", "dora", "root"]
    assert all(set(u) == {"id", "name", "organisation", "role", "created_at", "disabled_at"} for u in people.json())
    assert "argon2" not in people.text and "password" not in people.text

    issued = client.post("/api/admin/users/dora/tokens", json={"days": 7}, headers=root)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    me = client.get("/api/me", headers=bearer(token))
    assert me.json() == {"user": "dora", "organisation": "Safe Haven", "role": "contributor"}
    assert _sign_in(client, "dora", new_password).status_code == 201
    revoked = client.delete(f"/api/admin/tokens/{issued.json()['id']}", headers=root)
    assert revoked.status_code == 204
    assert "revoked" in api_error(client.get("/api/me", headers=bearer(token)), 401, "unauthorized")

    log = audit.entries(store)
    assert [e.action for e in reversed(log)] == [
        "admin.organisation.create", "admin.user.create", "admin.token.issue", "session.sign_in", "admin.token.revoke"]
    signed_in = next(e for e in log if e.action == "session.sign_in")
    assert (signed_in.actor, signed_in.details["address"]) == ("dora", "testclient")
    assert all((e.actor, e.org) == ("root", POLICE) for e in log if e.action.startswith("admin."))
    assert log[2].details == {"user": "dora", "token_id": issued.json()["id"],
                              "expires_at": datetime.fromisoformat(issued.json()["expires_at"]).isoformat()}
    written = json.dumps([[e.details, e.records, e.purpose] for e in log])
    for secret in (new_password, token, token.split(".", 1)[1], "argon2"):
        assert secret not in written
    assert audit.verify(store).ok


def test_admin_endpoints_need_the_admin_role(client: TestClient, tokens: dict[str, str]) -> None:
    calls = [
        ("get", "/api/admin/organisations", None),
        ("post", "/api/admin/organisations", {"name": "X", "type": "NGO", "country": "TH"}),
        ("get", "/api/admin/users", None),
        ("post", "/api/admin/users", {"name": "x", "organisation": HOPE, "role": "admin", "password": PASSWORD}),
        ("post", "/api/admin/users/alice/tokens", {}),
        ("delete", "/api/admin/tokens/1", None),
    ]
    for method, url, body in calls:
        for name in ("alice", "bob", "carol"):
            answer = client.request(method, url, json=body, headers=bearer(tokens[name]))
            assert "admin" in api_error(answer, 403, "forbidden")
        api_error(client.request(method, url, json=body), 401, "unauthorized")
    assert client.get("/api/me", headers=bearer(tokens["alice"])).status_code == 200  # token 1 still valid


def test_admin_bad_input_in_the_one_shape(store: Store, client: TestClient, tokens: dict[str, str]) -> None:
    root = bearer(tokens["root"])

    def org(**change: str) -> Any:
        return client.post("/api/admin/organisations", json={"name": "New", "type": "NGO", "country": "TH", **change},
                           headers=root)

    def user(**change: str) -> Any:
        body = {"name": "erin", "organisation": HOPE, "role": "analyst", "password": PASSWORD, **change}
        return client.post("/api/admin/users", json=body, headers=root)

    assert "country" in api_error(org(country="Atlantis"), 422, "bad_input")
    assert "organisation type" in api_error(org(type="Club"), 422, "bad_input")
    api_error(org(name=HOPE), 409, "conflict")
    api_error(org(name=""), 422, "invalid_request")
    assert "at least 12" in api_error(user(password="short"), 422, "bad_input")
    api_error(user(name="alice"), 409, "conflict")
    assert "role" in api_error(user(role="superuser"), 422, "invalid_request")
    api_error(user(organisation="Nobody"), 404, "not_found")
    api_error(client.post("/api/admin/users/nobody/tokens", json={}, headers=root), 404, "not_found")
    api_error(client.post("/api/admin/users/alice/tokens", json={"days": 0}, headers=root), 422, "invalid_request")
    api_error(client.delete("/api/admin/tokens/999999", headers=root), 404, "not_found")
    api_error(client.delete("/api/admin/tokens/0", headers=root), 422, "invalid_request")
    assert audit.entries(store) == []
    assert [u["name"] for u in client.get("/api/admin/users", headers=root).json()] == sorted(USERS)


def test_admin_lists_the_tokens_in_force_without_secrets(
    store: Store, client: TestClient, tokens: dict[str, str]
) -> None:
    root = bearer(tokens["root"])
    issued = client.post("/api/admin/users/alice/tokens", json={"days": 3}, headers=root).json()
    listed = client.get("/api/admin/tokens", headers=root)
    assert listed.status_code == 200, listed.text
    mine = next(t for t in listed.json() if t["id"] == issued["id"])
    assert set(mine) == {"id", "user", "organisation", "created_at", "expires_at", "revoked_at"}
    assert (mine["user"], mine["organisation"], mine["revoked_at"]) == ("alice", HOPE, None)
    assert issued["token"].split(".", 1)[1] not in listed.text
    assert client.delete(f"/api/admin/tokens/{issued['id']}", headers=root).status_code == 204
    assert issued["id"] not in [t["id"] for t in client.get("/api/admin/tokens", headers=root).json()]
    every = client.get("/api/admin/tokens", params={"active": False}, headers=root).json()
    assert next(t for t in every if t["id"] == issued["id"])["revoked_at"] is not None
    assert len(every) == len(USERS) + 1
    assert "admin" in api_error(client.get("/api/admin/tokens", headers=bearer(tokens["alice"])), 403, "forbidden")


def test_admin_disables_and_enables_a_user(client: TestClient, tokens: dict[str, str]) -> None:
    root = bearer(tokens["root"])
    signed_in = client.post("/api/session", json={"user": "alice", "password": PASSWORD}).json()["token"]
    assert api_error(client.post("/api/admin/users/root/disable", headers=root), 409, "conflict")
    disabled = client.post("/api/admin/users/alice/disable", headers=root)
    assert disabled.status_code == 200 and disabled.json()["disabled_at"] is not None
    for token in (tokens["alice"], signed_in):  # every token of hers, sessions too, stops at once
        api_error(client.get("/api/me", headers=bearer(token)), 401, "unauthorized")
    api_error(client.post("/api/session", json={"user": "alice", "password": PASSWORD}), 401, "unauthorized")
    api_error(client.post("/api/admin/users/alice/tokens", headers=root, json={"days": 1}), 409, "conflict")
    listed = client.get("/api/admin/users", headers=root, params={"organisation": HOPE}).json()
    assert [(u["name"], u["disabled_at"] is not None) for u in listed] == [("alice", True)]
    api_error(client.post("/api/admin/users/nobody/disable", headers=root), 404, "not_found")
    api_error(client.post("/api/admin/users/alice/disable", headers=bearer(tokens["bob"])), 403, "forbidden")

    enabled = client.post("/api/admin/users/alice/enable", headers=root)
    assert enabled.status_code == 200 and enabled.json()["disabled_at"] is None
    api_error(client.get("/api/me", headers=bearer(tokens["alice"])), 401, "unauthorized")  # stays revoked
    fresh = client.post("/api/session", json={"user": "alice", "password": PASSWORD})
    assert fresh.status_code == 201
    assert client.get("/api/me", headers=bearer(fresh.json()["token"])).status_code == 200
