"""The DP synthetic release written from a store: files, budget spent, utility and risk figures, chart."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from tests.support import shared

from palermo.errors import InputError
from palermo.ingest.pipeline import ingest_file
from palermo.publish.budget import balance
from palermo.publish.synthetic import SYNTHETIC_COLUMNS
from palermo.publish.synthetic_release import release_synthetic
from palermo.store.db import Store
from palermo.store.orgs import add_organisation


def test_release_with_utility_figures_and_chart(sqlite_store: Store, tmp_path: Path) -> None:
    add_organisation(sqlite_store, "CTDC", "InternationalOrganisation", "CH")
    ingest_file(sqlite_store, shared("ctdc/final.csv"), "CTDC")
    out = tmp_path / "rel"
    done = release_synthetic(sqlite_store, out, epsilon=2.0, seed=7, dataset="ctdc", release="r1", by="tester")
    assert {p.name for p in done.files} == {
        "synthetic.csv", "synthetic.parquet", "datacard.json", "datacard.md", "utility.svg"
    }
    frame = pl.read_parquet(out / "synthetic.parquet")
    assert frame.columns == list(SYNTHETIC_COLUMNS) and frame.height > 40_000
    card = json.loads((out / "datacard.json").read_text(encoding="utf-8"))
    assert card["epsilon"] == 2 and "seed" not in card["parameters"] and card["created_by"] == "tester"
    utility = card["utility"]
    mae = utility["marginal_mae"]
    assert mae["1_way"] > 0 and mae["2_way"] > 0 and mae["3_way"] > 0
    assert mae["2_way"] == pytest.approx(done.utility.mae(2))
    for share in ("fabricated_combinations_share", "real_unique_share", "release_unique_share",
                  "linkage_unique_matches"):
        assert 0 <= utility[share] <= 1
    markdown = (out / "datacard.md").read_text(encoding="utf-8")
    assert "2-way" in markdown and "linkage attack" in markdown and "ε = 2" in markdown
    assert (out / "utility.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")
    cells = done.utility.cells
    assert set(cells.columns) == {"columns", "real", "released"}
    assert cells.get_column("columns").n_unique() == len(SYNTHETIC_COLUMNS) * (len(SYNTHETIC_COLUMNS) - 1) // 2
    assert balance(sqlite_store, "ctdc").spent_epsilon == pytest.approx(2.0)


def test_bad_epsilon_spends_nothing(sqlite_store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        release_synthetic(sqlite_store, tmp_path / "rel", epsilon=0.0, dataset="ctdc")
    assert balance(sqlite_store, "ctdc").spent_epsilon == 0 and not (tmp_path / "rel").exists()
