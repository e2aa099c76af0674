"""Every endpoint × every role × another organisation's objects: no cross-tenant access.

Organisation Beta holds cases whose names, file and phones carry markers, a pending hit/no-hit notice,
an upload job and an agreement it granted a third organisation. Each user of organisation Alpha, of
every role, calls every endpoint of the API (the test fails if an endpoint is added without a call
here), aiming at Beta's objects where a path takes an id. No answer may carry a Beta marker or be a
server error, and afterwards Beta's notice, agreement, job and tokens are as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.support import HEADER

from palermo.ingest.pipeline import ingest_file
from palermo.link.hits import ask, inbox
from palermo.link.run import run_linkage
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.server.jobs import submit_job
from palermo.store.agreements import grant, list_agreements
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

MARKERS = ("BETASECRET", "beta-secret", "66955501")
ROLES = ("contributor", "analyst", "auditor", "admin")
PASSWORD = "a long enough password"
WHY = {"purpose": "matrix"}


@dataclass
class World:
    """Ids of Beta's objects that Alpha's users aim at."""

    notice: int
    job: int
    agreement: int
    beta_user: str
    beta_token: int


def _beta_file(path: Path) -> Path:
    rows = [f"2020,Feminine,TH,18--20,Adult,ForcedLabour,BETASECRET{i},1990-01-0{1 + i % 9}" for i in range(12)]
    path.write_text(",".join(HEADER) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _phones_file(path: Path, phone_prefix: str, name: str) -> Path:
    lines = ["prs_FirstName,prs_SecondName,prs_Birthdate,prs_MobilePhone,prs_Gender,prs_Citizenship"]
    lines += [f"{name}{i},Santos,1985-02-1{i},+{phone_prefix}{i:02d},Female,PH" for i in range(6)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def world(store: Store, tmp_path: Path) -> World:
    for name, kind in (("Alpha", "NGO"), ("Beta", "LawEnforcement"), ("Gamma", "NGO")):
        add_organisation(store, name, kind, "TH")
    ingest_file(store, _beta_file(tmp_path / "beta-secret.csv"), "Beta")
    ingest_file(store, _phones_file(tmp_path / "beta-secret-phones.csv", "669555010", "BETASECRETP"), "Beta")
    ingest_file(store, _phones_file(tmp_path / "alpha.csv", "668000000", "Alfa"), "Alpha")
    run_linkage(store, started_by="t")
    answer = ask(store, org="Alpha", asked_by="t", purpose="t", kind="phone", query={"value": "+66955501000"})
    assert answer.hit
    notice = inbox(store, "Beta")[0].id
    agreement = grant(store, "Beta", "Gamma", "cases", "full", by="t").id
    create_user(store, "beta-analyst", "Beta", "analyst", PASSWORD)
    beta_token = issue_token(store, "beta-analyst").id
    job = submit_job(store, org="Beta", submitted_by="beta-analyst", file_name="beta-secret.csv", file_bytes=10)
    for role in ROLES:
        create_user(store, f"alpha-{role}", "Alpha", role, PASSWORD)
    return World(notice=notice, job=job.id, agreement=agreement, beta_user="beta-analyst", beta_token=beta_token)


Call = Callable[[World], dict[str, Any]]
CALLS: dict[tuple[str, str], Call] = {
    ("GET", "/health"): lambda w: {},
    ("GET", "/api/me"): lambda w: {},
    ("POST", "/api/session"): lambda w: {"json": {"user": w.beta_user, "password": "not the password!"}},
    ("DELETE", "/api/session"): lambda w: {},
    ("POST", "/api/hits"): lambda w: {"json": {"kind": "person", "purpose": "m", "query": {"given": "BETASECRET1"}}},
    ("GET", "/api/inbox"): lambda w: {},
    ("POST", "/api/notices/{notice_id}/decision"): lambda w: {
        "path": {"notice_id": w.notice}, "json": {"disclose": True}},
    ("GET", "/api/cases"): lambda w: {"params": {**WHY, "identifying": True}},
    ("GET", "/api/exports/cases.csv"): lambda w: {"params": {**WHY, "identifying": True}},
    ("GET", "/api/report"): lambda w: {"params": {**WHY, "format": "json"}},
    ("GET", "/api/alerts"): lambda w: {"params": WHY},
    ("GET", "/api/agreements"): lambda w: {},
    ("POST", "/api/agreements"): lambda w: {
        "json": {"grantor": "Beta", "grantee": "Alpha", "category": "identities", "level": "full"}},
    ("DELETE", "/api/agreements/{agreement_id}"): lambda w: {"path": {"agreement_id": w.agreement}},
    ("GET", "/api/audit"): lambda w: {},
    ("GET", "/api/audit/verify"): lambda w: {},
    ("POST", "/api/uploads"): lambda w: {
        "files": {"file": ("a.csv", b"prs_FirstName,prs_Gender\nAlfa,Female\n", "text/csv")}, "data": WHY},
    ("GET", "/api/uploads"): lambda w: {},
    ("GET", "/api/uploads/{job_id}"): lambda w: {"path": {"job_id": w.job}},
    ("GET", "/api/uploads/{job_id}/mapping"): lambda w: {"path": {"job_id": w.job}},
    ("POST", "/api/uploads/{job_id}/rerun"): lambda w: {
        "path": {"job_id": w.job}, "json": {**WHY, "mapping": {"prs_FirstName": "prs_FirstName"}}},
    ("GET", "/api/admin/organisations"): lambda w: {},
    ("POST", "/api/admin/organisations"): lambda w: {"json": {"name": "Delta", "type": "NGO", "country": "TH"}},
    ("GET", "/api/admin/users"): lambda w: {},
    ("POST", "/api/admin/users"): lambda w: {
        "json": {"name": "new-user", "organisation": "Beta", "role": "analyst", "password": PASSWORD}},
    ("POST", "/api/admin/users/{name}/tokens"): lambda w: {"path": {"name": w.beta_user}, "json": {"days": 1}},
    ("POST", "/api/admin/users/{name}/disable"): lambda w: {"path": {"name": w.beta_user}},
    ("POST", "/api/admin/users/{name}/enable"): lambda w: {"path": {"name": w.beta_user}},
    ("GET", "/api/admin/tokens"): lambda w: {},
    ("DELETE", "/api/admin/tokens/{token_id}"): lambda w: {"path": {"token_id": w.beta_token}},
    # Publication: the deployment's admin publishes protected releases of all stored cases (no names).
    ("GET", "/api/releases"): lambda w: {},
    ("POST", "/api/releases/kanon"): lambda w: {"json": {**WHY, "k": 2}},
    ("POST", "/api/releases/table"): lambda w: {"json": {**WHY, "dims": ["prs_gender"], "epsilon": 1.0}},
    ("POST", "/api/releases/synthetic"): lambda w: {"json": {**WHY, "epsilon": 1.0, "rows": 20}},
    ("GET", "/api/releases/{name}"): lambda w: {"path": {"name": "no-such-release"}},
    ("GET", "/api/releases/{name}/files/{file}"): lambda w: {"path": {"name": "no-such-release", "file": "table.csv"}},
    ("GET", "/api/privacy-budget"): lambda w: {},
}
ADMIN_ONLY = {path for _, path in CALLS if path.startswith(("/api/admin/", "/api/releases", "/api/privacy-budget"))}
ALLOWED = {200, 201, 202, 204, 401, 403, 404, 409, 422}


def _routes(client: TestClient) -> set[tuple[str, str]]:
    """Every operation of the OpenAPI document."""
    paths = client.get("/openapi.json").json()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


@pytest.fixture
def client(store: Store, world: World) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as opened:
        yield opened


def test_every_endpoint_is_in_the_matrix(client: TestClient) -> None:
    assert _routes(client) == set(CALLS)


@pytest.mark.parametrize("role", ROLES)
def test_no_cross_tenant_access(store: Store, world: World, client: TestClient, role: str) -> None:
    token = issue_token(store, f"alpha-{role}").token
    headers = {"Authorization": f"Bearer {token}"}
    ordered = sorted(CALLS, key=lambda k: k == ("DELETE", "/api/session"))  # signing out comes last
    for method, template in ordered:
        spec = CALLS[(method, template)](world)
        path = template.format(**spec.pop("path", {}))
        response = client.request(method, path, headers=headers, **spec)
        where = f"{role} {method} {path}"
        assert response.status_code in ALLOWED, f"{where}: {response.status_code} {response.text[:300]}"
        for marker in MARKERS:
            assert marker not in response.text, f"{where} leaked {marker}"
        if role != "admin" and template in ADMIN_ONLY:
            assert response.status_code == 403, where
        administered = template.startswith(("/api/admin/", "/api/agreements")) and role == "admin"
        if "{" in template and not administered and not template.startswith("/api/admin/"):
            assert response.status_code in {403, 404, 422}, f"{where} reached Beta's object: {response.status_code}"
        if method == "POST" and template == "/api/agreements" and role != "admin":
            assert response.status_code in {403, 404}, where
    time.sleep(0.2)  # let a background upload finish before the store is checked
    assert [n.status for n in inbox(store, "Beta")] == ["pending"]
    beta_agreements = [a for a in list_agreements(store, "Beta") if a.grantee == "Gamma"]
    assert len(beta_agreements) == 1
    if role != "admin":  # an administrator may revoke agreements and tokens of any organisation
        assert beta_agreements[0].revoked_at is None
        me = client.get("/api/me", headers={"Authorization": f"Bearer {issue_token(store, 'beta-analyst').token}"})
        assert me.status_code == 200
