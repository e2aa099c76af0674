"""Differentially private count tables: full domain, noise at the stated scale, budget spent first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.support import shared

from palermo.errors import InputError
from palermo.ingest.pipeline import ingest_file
from palermo.publish.budget import balance
from palermo.publish.dp_tables import dp_counts, release_dp_table
from palermo.store.db import Store
from palermo.store.orgs import add_organisation


def _cases(n: int = 5_000) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.DataFrame(
        {
            "cas_registration_year": rng.integers(2010, 2020, n),
            "prs_gender": rng.choice(["Feminine", "Masculine"], n),
            "vic_type_of_exploitation": rng.choice(["ForcedLabour", "ForcedLabour;SexualExploitation"], n),
        }
    )


def test_full_domain_and_noise_scale() -> None:
    cases = _cases()
    table = dp_counts(cases, ["cas_registration_year", "prs_gender"], epsilon=1.0, seed=3)
    # every year of the span x every gender code of the standard (6) + not recorded, zeros included
    assert table.frame.height == 11 * 7
    truth = cases.group_by("cas_registration_year", "prs_gender").len("true")
    joined = table.frame.join(truth, on=["cas_registration_year", "prs_gender"], how="left").with_columns(
        pl.col("true").fill_null(0)
    )
    errors = (joined.get_column("cases") - joined.get_column("true")).to_numpy()
    assert (joined.get_column("cases") >= 0).all()
    assert abs(float(np.std(errors)) - table.sigma) < table.sigma * 0.5
    again = dp_counts(cases, ["cas_registration_year", "prs_gender"], epsilon=1.0, seed=3)
    assert again.frame.equals(table.frame)
    assert dp_counts(cases, ["cas_registration_year"], epsilon=8.0, seed=3).sigma < table.sigma


def test_multi_select_and_unknown_dimensions_are_refused() -> None:
    with pytest.raises(InputError, match="single-valued"):
        dp_counts(_cases(), ["vic_type_of_exploitation"], epsilon=1.0, seed=1)
    with pytest.raises(InputError):
        dp_counts(_cases(), [], epsilon=1.0, seed=1)


def test_release_spends_budget_and_writes_card(sqlite_store: Store, tmp_path: Path) -> None:
    add_organisation(sqlite_store, "CTDC", "InternationalOrganisation", "CH")
    ingest_file(sqlite_store, shared("ctdc/final.csv"), "CTDC")
    out = tmp_path / "by_year.csv"
    release_dp_table(sqlite_store, out, ["cas_registration_year", "prs_gender"], epsilon=2.0, seed=5)
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["epsilon"] == 2.0 and card["cells"] == pl.read_csv(out).height
    assert balance(sqlite_store).spent_epsilon == pytest.approx(2.0)
    db = sqlite_store.url
    done = subprocess.run(
        [sys.executable, "-m", "palermo", "--db", db, "publish", "table", "--dims", "prs_gender",
         "--epsilon", "9", "--out", str(tmp_path / "g.csv")], capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr  # 2 + 9 > the default total of 10
    assert not (tmp_path / "g.csv").exists()
