"""The release catalogue: one audited call per release, manifests, previews, the budget overview and chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import cases_csv

from palermo import audit
from palermo.errors import InputError
from palermo.ingest.pipeline import ingest_file
from palermo.publish.budget_chart import budget_svg, budget_values
from palermo.publish.kanon_release import release_kanon
from palermo.publish.releases import (
    budget_overview,
    get_release,
    kanon_columns,
    list_releases,
    preview,
    publish_kanon,
    publish_synthetic,
    publish_table,
)
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

HOPE = "Hope Shelter"


@pytest.fixture
def filled(sqlite_store: Store, tmp_path: Path) -> Store:
    add_organisation(sqlite_store, HOPE, "NGO", "TH")
    ingest_file(sqlite_store, cases_csv(tmp_path / "hope.csv", 20, name="Mali"), HOPE)
    return sqlite_store


def test_kanon_release_refuses_k_below_two_and_an_empty_store(sqlite_store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="k must be at least 2"):
        release_kanon(sqlite_store, tmp_path / "out", k=1)
    with pytest.raises(InputError, match="no cases to publish"):
        release_kanon(sqlite_store, tmp_path / "out", k=5)


def test_releases_are_listed_newest_first_with_their_figures(filled: Store, tmp_path: Path) -> None:
    root = tmp_path / "releases"
    first = publish_kanon(filled, actor="amir", org=HOPE, purpose="open data", k=5, name="k5", root=root,
                          quasi_identifiers=["prs_gender", "cas_registration_year"])
    table = publish_table(filled, actor="amir", org=HOPE, purpose="open data", dims=["prs_gender"], epsilon=1,
                          name="t1", root=root)
    assert first.figures["records"]["released"] == 20 and table.figures["cells"] >= 3
    assert get_release("k5", root) == first
    assert {r.name for r in list_releases(root)} == {"k5", "t1"}
    rows = preview(table, root=root)
    assert rows.columns == ["prs_gender", "cases"] and int(rows["cases"][0]) >= int(rows["cases"][-1])
    assert [e.details["release"] for e in audit.entries(filled, action="cases.publish")] == ["t1", "k5"]


def test_epsilon_and_quasi_identifiers_are_checked_before_anything_is_read(filled: Store, tmp_path: Path) -> None:
    root = tmp_path / "r"
    with pytest.raises(InputError, match=r"ε must be between 0\.01 and 100"):
        publish_table(filled, actor="a", org=HOPE, purpose="p", dims=["prs_gender"], epsilon=0.001, root=root)
    with pytest.raises(InputError, match="'cas_registration_date' cannot be a quasi-identifier"):
        publish_kanon(filled, actor="a", org=HOPE, purpose="p", k=2, quasi_identifiers=["cas_registration_date"],
                      root=root)
    assert budget_overview(filled).entries == [] and not root.exists()


def test_budget_overview_hides_the_seed_and_the_chart_shows_what_is_left(filled: Store, tmp_path: Path) -> None:
    publish_synthetic(filled, actor="amir", org=HOPE, purpose="open data", epsilon=2, name="s1",
                      root=tmp_path / "r")
    overview = budget_overview(filled)
    assert [e.release for e in overview.entries] == ["s1"]
    assert "seed" not in overview.entries[0].parameters and "engine" in overview.entries[0].parameters
    values = budget_values(overview.entries, overview.balances)
    assert values == [{"dataset": "all-cases", "part": "s1", "epsilon": 2.0, "order": 0},
                      {"dataset": "all-cases", "part": "(left)", "epsilon": 8.0, "order": 1}]
    assert budget_svg(overview.entries, overview.balances).lstrip().startswith("<svg")


def test_the_default_quasi_identifiers_are_offered_with_their_hierarchies() -> None:
    offered = {q.column: q for q in kanon_columns()}
    assert offered["cas_registration_year"].levels == ("year", "2-year range", "5-year range", "withheld")
    assert offered["cas_registration_year"].default and not offered["cas_data_source"].default
