"""Reading pooled data over the API within sharing agreements: cases, exports, report, linkage alerts, audit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.server.test_server_api import _people
from tests.support import cases_csv

from palermo import audit
from palermo.ingest.pipeline import ingest_file
from palermo.link.run import run_linkage
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.store.agreements import grant
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

Api = tuple[TestClient, dict[str, dict[str, str]]]
HOLDINGS = {"Hope": 12, "Police": 15, "Ministry": 20}
ROLES = {"hope-analyst": ("Hope", "analyst"), "hope-contrib": ("Hope", "contributor"),
         "hope-auditor": ("Hope", "auditor"), "police-analyst": ("Police", "analyst"), "root": ("Hope", "admin")}
WHY = {"purpose": "case review"}


@pytest.fixture
def setup(store: Store, tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]]]:
    for name, rows in HOLDINGS.items():
        add_organisation(store, name, "NGO", "TH")
        ingest_file(store, cases_csv(tmp_path / f"{name}.csv", rows, name=f"=cmd|{name}"), name)
    headers = {}
    for user, (org, role) in ROLES.items():
        create_user(store, user, org, role, "a long enough password")
        headers[user] = {"Authorization": f"Bearer {issue_token(store, user).token}"}
    return TestClient(create_app(store)), headers


@pytest.fixture
def api(setup: tuple[TestClient, dict[str, dict[str, str]]]) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    client, headers = setup
    with client:
        yield client, headers


def _cases(client: TestClient, headers: dict[str, str], **params: str | int | bool) -> list[dict[str, object]]:
    response = client.get("/api/cases", headers=headers, params={**WHY, "limit": 1000, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["cases"])


def test_cases_follow_the_agreements(store: Store, api: Api) -> None:
    client, h = api
    own = _cases(client, h["hope-analyst"])
    assert len(own) == 12 and {c["organisation"] for c in own} == {"Hope"}
    assert all(c["level"] == "full" and c["file"] == "Hope.csv" and str(c["ref"]).isdigit() for c in own)
    assert _cases(client, h["hope-contrib"]) == own
    grant(store, "Police", "Hope", "cases", "pseudonymised", by="p")
    grant(store, "Ministry", "Hope", "cases", "aggregate", by="m")
    seen = _cases(client, h["hope-analyst"])
    police = [c for c in seen if c["organisation"] == "Police"]
    assert len(seen) == 27 and len(police) == 15
    assert all(str(c["ref"]).startswith("p") and "file" not in c and "row" not in c for c in police)
    assert all(c["cas_registration_year"] == 2019 for c in police)
    assert len(_cases(client, h["police-analyst"])) == 15  # one-way
    refused = client.get("/api/cases", headers=h["hope-analyst"], params={**WHY, "holder": "Ministry"})
    assert refused.status_code == 403 and "record level" not in refused.text  # names the level asked for
    assert client.get("/api/cases", headers=h["hope-analyst"]).status_code == 422  # no purpose
    assert client.get("/api/cases", headers=h["hope-auditor"], params=WHY).status_code == 403
    assert client.get("/api/cases", headers=h["root"], params=WHY).status_code == 403
    page = client.get("/api/cases", headers=h["hope-analyst"], params={**WHY, "limit": 10, "offset": 20}).json()
    assert len(page["cases"]) == 7 and page["next_offset"] is None
    reads = [e for e in audit.entries(store, org="Hope") if e.action == "cases.read"]
    assert reads[0].records == [c["ref"] for c in page["cases"]] and reads[0].purpose == "case review"
    assert audit.verify(store).ok


def test_identifying_fields_need_their_own_grant(store: Store, api: Api) -> None:
    client, h = api
    grant(store, "Police", "Hope", "cases", "full", by="p")
    seen = _cases(client, h["hope-analyst"], identifying=True)
    hope = [c for c in seen if c["organisation"] == "Hope"]
    police = [c for c in seen if c["organisation"] == "Police"]
    assert all(isinstance(c["identifying"], dict) and str(c["identifying"]["prs_first_name"]).startswith("=cmd|Hope")
               for c in hope)
    assert police and all(c["identifying"] is None for c in police)
    grant(store, "Police", "Hope", "identities", "full", by="p")
    police = [c for c in _cases(client, h["hope-analyst"], identifying=True) if c["organisation"] == "Police"]
    assert all(str(c["identifying"]["prs_first_name"]).startswith("=cmd|Police") for c in police)  # type: ignore[index]
    assert "prs_first_name" not in _cases(client, h["hope-analyst"])[0]


def test_export_holds_what_may_be_read_in_full_with_formulas_escaped(
    store: Store, api: Api
) -> None:
    client, h = api
    grant(store, "Police", "Hope", "cases", "pseudonymised", by="p")
    response = client.get("/api/exports/cases.csv", headers=h["hope-analyst"], params={**WHY, "identifying": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert len(lines) == 13 and "Police" not in response.text
    assert "'=cmd|Hope0" in response.text and ",=cmd" not in response.text
    assert client.get("/api/exports/cases.csv", headers=h["hope-contrib"], params=WHY).status_code == 403
    entry = audit.entries(store, org="Hope", limit=1)[0]
    assert entry.action == "cases.export" and len(entry.records) == 12


def test_report_counts_what_was_shared_in_aggregate(
    store: Store, api: Api
) -> None:
    client, h = api

    def in_scope() -> int:
        response = client.get("/api/report", headers=h["hope-analyst"], params={**WHY, "format": "json"})
        assert response.status_code == 200, response.text
        return int(json.loads(response.content)["cases_in_scope"])

    assert in_scope() == 12
    grant(store, "Ministry", "Hope", "cases", "aggregate", by="m")
    assert in_scope() == 32
    html = client.get("/api/report", headers=h["hope-analyst"], params=WHY)
    assert html.headers["content-type"].startswith("text/html") and "<svg" in html.text
    assert client.get("/api/report", headers=h["hope-analyst"], params={**WHY, "k": 2}).status_code == 422
    assert [e.action for e in audit.entries(store, org="Hope", limit=1)] == ["cases.aggregate"]


def test_audit_log_is_for_auditors(store: Store, api: Api) -> None:
    client, h = api
    _cases(client, h["hope-analyst"])
    _cases(client, h["police-analyst"])
    log = client.get("/api/audit", headers=h["hope-auditor"])
    assert log.status_code == 200
    assert {e["actor"] for e in log.json()} == {"hope-analyst"}  # only its own organisation's entries
    assert client.get("/api/audit/verify", headers=h["hope-auditor"]).json()["ok"] is True
    assert client.get("/api/audit", headers=h["hope-analyst"]).status_code == 403


def test_linkage_alerts_name_only_holders_that_allow_it(store: Store, tmp_path: Path) -> None:
    for org in ("A", "B", "C"):
        add_organisation(store, org, "NGO", "TH")
        path = tmp_path / f"{org}.csv"
        path.write_text(_people(second=org == "B"), encoding="utf-8")
        ingest_file(store, path, org)
    run_linkage(store, started_by="t")
    create_user(store, "a-analyst", "A", "analyst", "a long enough password")
    headers = {"Authorization": f"Bearer {issue_token(store, 'a-analyst').token}"}
    with TestClient(create_app(store)) as client:

        def alerts() -> list[dict[str, object]]:
            response = client.get("/api/alerts", headers=headers, params=WHY)
            assert response.status_code == 200, response.text
            return list(response.json())

        assert alerts() == []  # B and C granted nothing
        grant(store, "B", "A", "linkage", "pseudonymised", by="b")
        grant(store, "C", "A", "linkage", "aggregate", by="c")
        found = alerts()
        assert len(found) >= 25
        assert all(a["holders"] == ["B"] and a["unnamed_holders"] == 1 and a["other_records"] == [] for a in found)
        grant(store, "B", "A", "linkage", "full", by="b")
        assert all(len(a["other_records"]) >= 1 for a in alerts())  # type: ignore[arg-type]


def test_audit_log_filters_and_agreement_periods_over_the_api(store: Store, api: Api) -> None:
    client, h = api
    _cases(client, h["hope-analyst"])
    granted = client.post("/api/agreements", headers=h["hope-analyst"], json={
        "grantee": "Police", "category": "cases", "level": "aggregate", "valid_from": "2030-01-01T00:00:00Z",
        "valid_until": "2030-07-01T00:00:00Z"})
    assert granted.status_code == 201, granted.text
    assert granted.json()["valid_until"].startswith("2030-07-01")
    backwards = client.post("/api/agreements", headers=h["hope-analyst"], json={
        "grantee": "Police", "category": "cases", "level": "full", "valid_from": "2030-01-01T00:00:00Z",
        "valid_until": "2029-01-01T00:00:00Z"})
    assert backwards.status_code == 422 and "before it starts" in backwards.text
    both = client.post("/api/agreements", headers=h["hope-analyst"], json={
        "grantee": "Police", "category": "cases", "level": "full", "days": 5, "valid_until": "2031-01-01T00:00:00Z"})
    assert both.status_code == 422 and "not both" in both.text
    auditor = h["hope-auditor"]
    only = client.get("/api/audit", headers=auditor, params={"action": "agreement"}).json()
    assert [e["action"] for e in only] == ["agreement.grant"]
    read = client.get("/api/audit", headers=auditor, params={"actor": "hope-analyst", "action": "cases.read"}).json()
    assert [e["action"] for e in read] == ["cases.read"]
    assert client.get("/api/audit", headers=auditor, params={"before": only[0]["id"]}).json()[0]["id"] < only[0]["id"]
    assert client.get("/api/audit", headers=auditor, params={"since": "2099-01-01"}).json() == []
    bad = client.get("/api/audit", headers=auditor, params={"since": "2026-02-01", "until": "2026-01-01"})
    assert bad.status_code == 422 and "end of the period" in bad.text
    far = client.get("/api/audit", headers=auditor, params={"since": "0001-01-01T00:00:00+01:00"})
    assert far.status_code == 422 and "out of range" in far.text
    late = client.post("/api/agreements", headers=h["hope-analyst"], json={
        "grantee": "Police", "category": "cases", "level": "full", "valid_from": "9999-12-31T00:00:00Z"})
    assert late.status_code == 422 and "out of range" in late.text
