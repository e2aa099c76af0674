"""``GET /api/report`` narrowed by year, organisation, region, form and country of exploitation, each checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from tests.support import api_error, bearer

from palermo import audit
from palermo.access.reports import filter_choices, report_filter
from palermo.analyse.cases import CaseFilter, read_cases
from palermo.demo.ctdc import write_ctdc_csv
from palermo.errors import InputError
from palermo.ingest.pipeline import ingest_file
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.store.agreements import grant
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

WHY = {"purpose": "threat assessment", "format": "json"}


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    for name, rows, seed in (("Hope", 700, 3), ("Police", 500, 4)):
        add_organisation(store, name, "NGO", "TH")
        write_ctdc_csv(tmp_path / f"{name}.csv", rows, seed=seed)
        ingest_file(store, tmp_path / f"{name}.csv", name)
    grant(store, "Police", "Hope", "cases", "aggregate", by="police")
    create_user(store, "hope-analyst", "Hope", "analyst", "a long enough password")
    with TestClient(create_app(store)) as test_client:
        yield test_client, bearer(issue_token(store, "hope-analyst").token)


def _in_scope(client: TestClient, headers: dict[str, str], **params: str | list[str]) -> int | None:
    response = client.get("/api/report", headers=headers, params={**WHY, **params})
    assert response.status_code == 200, response.text
    found = json.loads(response.content)["cases_in_scope"]
    return None if found is None else int(found)


def test_each_filter_narrows_to_the_cases_it_names(store: Store, client: tuple[TestClient, dict[str, str]]) -> None:
    api, headers = client
    cases = read_cases(store)
    country = pl.col("vic_country_of_exploitation")
    top = cases.get_column("vic_country_of_exploitation").drop_nulls().value_counts(sort=True).row(0)[0]
    expected = {
        "everything": cases.height,
        "country": cases.filter(country == top).height,
        "police": cases.filter(pl.col("org_name") == "Police").height,
        "sexual": cases.filter(pl.col("vic_type_of_exploitation").str.contains("SexualExploitation")).height,
        "recent": cases.filter(pl.col("cas_registration_year") >= 2018).height,
    }
    assert all(n >= 11 for n in expected.values()) and expected["country"] < cases.height
    assert _in_scope(api, headers) == expected["everything"] == 1200
    assert _in_scope(api, headers, country=top) == expected["country"]
    assert _in_scope(api, headers, holder="Police") == expected["police"] == 500
    assert _in_scope(api, headers, form="SexualExploitation") == expected["sexual"]
    assert _in_scope(api, headers, first_year="2018") == expected["recent"]
    entry = audit.entries(store, org="Hope", limit=1)[0]
    assert entry.action == "cases.aggregate" and "years 2018" in entry.details["scope"]


def test_a_country_may_be_named_or_coded(client: tuple[TestClient, dict[str, str]]) -> None:
    api, headers = client
    assert _in_scope(api, headers, country="Thailand") == _in_scope(api, headers, country="TH")
    response = api.get("/api/report", headers=headers, params={**WHY, "format": "html", "country": "TH"})
    assert "countries of exploitation: Thailand" in response.text


BAD = [
    ({"country": "Atlantis"}, "'Atlantis' is not an ISO 3166 country"),
    ({"form": "Piracy"}, "unknown form of exploitation 'Piracy'"),
    ({"region": "Antarctica"}, "unknown region 'Antarctica'"),
    ({"first_year": "2020", "last_year": "2010"}, "the first year (2020) comes after the last (2010)"),
]


def test_bad_filters_are_refused_with_a_message(store: Store, client: tuple[TestClient, dict[str, str]]) -> None:
    api, headers = client
    before = len(audit.entries(store, org="Hope", limit=100))
    for params, message in BAD:
        response = api.get("/api/report", headers=headers, params={**WHY, **params})
        assert message in api_error(response, 422, "bad_input"), params
    assert len(audit.entries(store, org="Hope", limit=100)) == before  # refused before anything is read


def test_report_filter_keeps_holders_exactly_and_drops_blank_values() -> None:
    assert report_filter(holders=[" Hope "]).contributors == (" Hope ",)  # an unseen name narrows to nothing
    assert report_filter(regions=["", "Asia", "Asia"], forms=[""], countries=["th"]) == CaseFilter(
        regions=("Asia",), countries=("TH",)
    )
    with pytest.raises(InputError):
        report_filter(countries=["nowhere"])


def test_filter_choices_offer_only_what_the_agreements_allow(store: Store) -> None:
    for name in ("Hope", "Police", "Ministry"):
        add_organisation(store, name, "NGO", "TH")
    grant(store, "Police", "Hope", "cases", "aggregate", by="police")
    grant(store, "Ministry", "Hope", "identities", "full", by="ministry")  # not its cases: not counted
    choices = filter_choices(store, "Hope")
    assert choices.holders == ["Hope", "Police"]
    assert filter_choices(store, "Police").holders == ["Police"]
    assert ("SexualExploitation", "Sexual exploitation") in choices.forms and "None" not in dict(choices.forms)
    assert ("TH", "Thailand") in choices.countries and "Europe" in choices.regions
