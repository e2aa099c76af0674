"""Publication through the API (admins only): k-anonymous and DP releases, their files, the budget, the audit."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support import api_error, bearer, cases_csv

from palermo import audit
from palermo.ingest.pipeline import ingest_file
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

HOPE = "Hope Shelter"
PURPOSE = "annual public dataset"


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "releases"
    monkeypatch.setenv("PALERMO_RELEASES_DIR", str(folder))
    monkeypatch.setenv("PALERMO_PRIVACY_BUDGET_EPSILON", "3")
    return folder


@pytest.fixture
def tokens(store: Store, tmp_path: Path) -> dict[str, str]:
    add_organisation(store, HOPE, "NGO", "TH")
    ingest_file(store, cases_csv(tmp_path / "hope.csv", 30, name="Mali"), HOPE)
    out = {}
    for name, role in (("amir", "admin"), ("ann", "analyst"), ("carol", "auditor"), ("cody", "contributor")):
        create_user(store, name, HOPE, role, "a long enough password")
        out[name] = issue_token(store, name).token
    return out


@pytest.fixture
def client(store: Store, root: Path) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as opened:
        yield opened


def test_only_admins_publish_or_see_the_budget(client: TestClient, tokens: dict[str, str], root: Path) -> None:
    for who in ("ann", "carol", "cody"):
        headers = bearer(tokens[who])
        assert "admin" in api_error(client.get("/api/releases", headers=headers), 403, "forbidden")
        api_error(client.get("/api/privacy-budget", headers=headers), 403, "forbidden")
        api_error(client.post("/api/releases/kanon", headers=headers, json={"purpose": PURPOSE, "k": 5}),
                  403, "forbidden")
    api_error(client.get("/api/releases"), 401, "unauthorized")
    assert not root.exists()


def test_kanon_release_is_written_listed_downloadable_and_audited(
    client: TestClient, tokens: dict[str, str], store: Store
) -> None:
    headers = bearer(tokens["amir"])
    made = client.post("/api/releases/kanon", headers=headers, json={
        "purpose": PURPOSE, "k": 5, "quasi_identifiers": ["prs_gender", "vic_age_band"], "name": "kanon-2026"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert made.headers["location"] == "/api/releases/kanon-2026"
    assert body["kind"] == "kanon" and body["parameters"]["k"] == 5
    assert body["figures"]["records"] == {"in": 30, "suppressed": 0, "released": 30}
    assert set(body["files"]) == {"kanon.csv", "kanon.parquet", "datacard.json", "datacard.md", "utility.svg"}
    download = client.get(body["links"]["kanon.csv"], headers=headers)
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert len(rows) == 30 and set(rows[0]) == {"prs_gender", "vic_age_band"}
    listed = client.get("/api/releases", headers=headers).json()
    assert [r["name"] for r in listed] == ["kanon-2026"]
    entry = audit.entries(store, action="cases.publish")[0]
    assert (entry.actor, entry.purpose, entry.details["release"], entry.details["cases"]) == (
        "amir", PURPOSE, "kanon-2026", 30)


def test_refusals_of_the_library_are_clear(client: TestClient, tokens: dict[str, str], root: Path) -> None:
    headers = bearer(tokens["amir"])
    too_big = client.post("/api/releases/kanon", headers=headers, json={"purpose": PURPOSE, "k": 31})
    assert "30 records cannot be 31-anonymous" in api_error(too_big, 422, "bad_input")
    blank = client.post("/api/releases/kanon", headers=headers, json={"purpose": "  ", "k": 5})
    assert "purpose" in api_error(blank, 422, "bad_input")
    bad_dim = client.post("/api/releases/table", headers=headers,
                          json={"purpose": PURPOSE, "dims": ["vic_type_of_exploitation"], "epsilon": 1})
    assert "single-valued" in api_error(bad_dim, 422, "bad_input")
    names = client.post("/api/releases/kanon", headers=headers,
                        json={"purpose": PURPOSE, "k": 5, "quasi_identifiers": ["org_name"]})
    assert "'org_name' cannot be a quasi-identifier" in api_error(names, 422, "bad_input")
    api_error(client.post("/api/releases/kanon", headers=headers, json={"purpose": PURPOSE, "k": 1}),
              422, "invalid_request")
    api_error(client.post("/api/releases/synthetic", headers=headers, json={"purpose": PURPOSE, "epsilon": 1e-9}),
              422, "invalid_request")
    api_error(client.get("/api/releases/nothing-here", headers=headers), 404, "not_found")
    assert list(root.iterdir()) == []  # refused releases leave no folder behind


def test_dp_releases_spend_the_budget_until_it_is_exhausted(
    client: TestClient, tokens: dict[str, str], root: Path
) -> None:
    headers = bearer(tokens["amir"])
    table = client.post("/api/releases/table", headers=headers, json={
        "purpose": PURPOSE, "dims": ["prs_gender", "vic_age_band"], "epsilon": 1.5, "name": "by-sex-age"})
    assert table.status_code == 201, table.text
    assert table.json()["figures"]["certified_epsilon"] <= 1.5
    cells = client.get(table.json()["links"]["table.csv"], headers=headers).text.splitlines()
    assert cells[0] == "prs_gender,vic_age_band,cases" and len(cells) == 1 + table.json()["figures"]["cells"]
    synthetic = client.post("/api/releases/synthetic", headers=headers,
                            json={"purpose": PURPOSE, "epsilon": 1, "name": "synthetic-1"})
    assert synthetic.status_code == 201, synthetic.text
    assert "seed" not in synthetic.json()["parameters"]
    again = client.post("/api/releases/table", headers=headers,
                        json={"purpose": PURPOSE, "dims": ["prs_gender"], "epsilon": 0.1, "name": "by-sex-age"})
    assert "already exists" in api_error(again, 409, "conflict")
    over = client.post("/api/releases/table", headers=headers,
                       json={"purpose": PURPOSE, "dims": ["prs_gender"], "epsilon": 0.6, "name": "one-too-many"})
    assert "has ε = 0.5 left of its total 3" in api_error(over, 409, "budget_exceeded")
    assert not (root / "one-too-many").exists()
    budget = client.get("/api/privacy-budget", headers=headers).json()
    assert [e["release"] for e in budget["ledger"]] == ["by-sex-age", "synthetic-1"]
    assert all("seed" not in e["parameters"] for e in budget["ledger"])
    [balance] = budget["balances"]
    assert balance == {"dataset": "all-cases", "total_epsilon": 3.0, "spent_epsilon": 2.5,
                       "remaining_epsilon": 0.5, "spent_delta": pytest.approx(2e-6), "releases": 2}


def test_files_outside_a_release_cannot_be_fetched(client: TestClient, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["amir"])
    made = client.post("/api/releases/kanon", headers=headers, json={"purpose": PURPOSE, "k": 5, "name": "r1"})
    assert made.status_code == 201, made.text
    api_error(client.get("/api/releases/r1/files/release.json", headers=headers), 404, "not_found")
    assert client.get("/api/releases/r1/files/..%2F..%2Fhope.csv", headers=headers).status_code in {404, 422}
    api_error(client.get("/api/releases/..%2Fr1", headers=headers), 404, "not_found")
