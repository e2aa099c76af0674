"""DP count tables through OpenDP: full domain, OpenDP's certificate, noise at the stated scale, budget spent first.

OpenDP's noise cannot be seeded, so nothing here relies on a seed: the noise is checked statistically.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from tests.support import shared

from palermo.errors import InputError
from palermo.ingest.pipeline import ingest_file
from palermo.publish import dp_tables
from palermo.publish.budget import BudgetExceededError, balance
from palermo.publish.dp_tables import (
    DPTable,
    calibrate_sigma,
    certify,
    dp_counts,
    release_dp_table,
    table_measurement,
)
from palermo.publish.synthetic import zcdp_rho
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

DIMS = ["cas_registration_year", "prs_gender"]
YEARS = datetime.now(UTC).year - 1990 + 1  # the standard's range of registration years, 1990 to this year


def _cases(n: int = 5_000, years: tuple[int, int] = (2010, 2020)) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.DataFrame(
        {
            "cas_registration_year": rng.integers(*years, n),
            "prs_gender": rng.choice(["Feminine", "Masculine"], n),
            "vic_type_of_exploitation": rng.choice(["ForcedLabour", "ForcedLabour;SexualExploitation"], n),
        }
    )


def _with_truth(table: DPTable, cases: pl.DataFrame) -> pl.DataFrame:
    truth = cases.group_by(DIMS).len("true")
    return table.frame.join(truth, on=DIMS, how="left").with_columns(pl.col("true").fill_null(0))


def test_full_domain_from_the_standard_with_empty_cells() -> None:
    cases = _cases()
    table = dp_counts(cases, DIMS, epsilon=1.0)
    # every registration year the standard allows x every gender code of the standard (6), each + not recorded
    assert table.frame.height == (YEARS + 1) * 7
    assert table.frame.select(DIMS).n_unique() == table.frame.height
    assert table.frame.filter((pl.col("cas_registration_year") == 1995) & (pl.col("prs_gender") == "Feminine")).height
    assert table.frame.filter(pl.col("cas_registration_year").is_null() & pl.col("prs_gender").is_null()).height == 1
    joined = _with_truth(table, cases)
    assert (joined.get_column("cases") >= 0).all()
    empty = joined.filter(pl.col("true") == 0).get_column("cases")
    assert empty.len() == table.frame.height - 20
    # empty cells get noise too: about 40 % of them come out positive after clipping (P(Z ≥ 1), σ ≈ 4.5)
    assert 0.25 < float(np.mean(empty.to_numpy() > 0)) < 0.6
    # the cells do not depend on the data: a single year gives the same grid (the data's span is not revealed)
    narrow = dp_counts(_cases(300, years=(2015, 2016)), DIMS, epsilon=1.0)
    assert narrow.frame.select(DIMS).equals(table.frame.select(DIMS))


@pytest.mark.parametrize(("epsilon", "delta"), [(0.1, 1e-6), (1.0, 1e-6), (2.0, 1e-9), (8.0, 1e-5)])
def test_opendp_certifies_the_stated_epsilon_delta(epsilon: float, delta: float) -> None:
    table = dp_counts(_cases(500), DIMS, epsilon=epsilon, delta=delta)
    assert table.sigma == calibrate_sigma(epsilon, delta)
    measurement = table_measurement(table.frame.height, table.sigma)
    certified, fixed = certify(measurement, delta)
    assert certified <= epsilon and fixed == delta
    assert certified > 0.999 * epsilon, "σ is the smallest OpenDP certifies, not a looser one"
    assert table.certified_epsilon == certified
    # one case moves the counts by 1 in L2: ρ = 1 / 2σ²; two cases by 2: ρ four times as large
    assert measurement.map(1) == pytest.approx(1 / (2 * table.sigma**2), rel=1e-9) == table.rho
    assert measurement.map(2) == pytest.approx(4 * table.rho, rel=1e-9)
    # a little less noise and OpenDP refuses the stated ε
    assert certify(table_measurement(table.frame.height, table.sigma * 0.97), delta)[0] > epsilon
    # OpenDP's conversion is tighter than the closed form ε = ρ + 2√(ρ ln 1/δ), never looser
    assert table.sigma <= math.sqrt(1 / (2 * zcdp_rho(epsilon, delta)))


@pytest.mark.parametrize("epsilon", [0.3, 2.0])
def test_noise_scale_matches_sigma_over_many_draws(epsilon: float) -> None:
    cases = _cases()
    errors: list[np.ndarray[Any, Any]] = []
    sigma = calibrate_sigma(epsilon, 1e-6)
    for _ in range(40):
        joined = _with_truth(dp_counts(cases, DIMS, epsilon=epsilon), cases).filter(pl.col("true") > 100)
        assert joined.height == 20  # far from zero: clipping never touches these cells
        errors.append((joined.get_column("cases") - joined.get_column("true")).to_numpy())
    drawn = np.concatenate(errors).astype(float)
    assert drawn.size == 800
    assert abs(float(np.std(drawn)) - sigma) < 0.1 * sigma  # the sample sd is within ~2.5 % of σ (1 sd)
    assert abs(float(np.mean(drawn))) < 4 * sigma / math.sqrt(drawn.size)
    assert not np.array_equal(errors[0], errors[1]), "OpenDP's noise is fresh on every call"


def test_multi_select_and_unknown_dimensions_are_refused() -> None:
    with pytest.raises(InputError, match="single-valued"):
        dp_counts(_cases(), ["vic_type_of_exploitation"], epsilon=1.0)
    with pytest.raises(InputError):
        dp_counts(_cases(), [], epsilon=1.0)
    with pytest.raises(InputError):
        dp_counts(_cases(), ["prs_gender", "prs_gender"], epsilon=1.0)
    with pytest.raises(InputError, match="epsilon"):
        dp_counts(_cases(), DIMS, epsilon=0.0)


def _ingested(store: Store) -> None:
    add_organisation(store, "CTDC", "InternationalOrganisation", "CH")
    ingest_file(store, shared("ctdc/final.csv"), "CTDC")


def test_release_spends_budget_before_any_noise_and_writes_card(
    sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingested(sqlite_store)
    spent_when_drawn: list[float] = []
    draw = dp_tables._draw

    def spy(plan: Any) -> DPTable:
        spent_when_drawn.append(balance(sqlite_store).spent_epsilon)
        return draw(plan)

    monkeypatch.setattr(dp_tables, "_draw", spy)
    out = tmp_path / "by_year.csv"
    table = release_dp_table(sqlite_store, out, DIMS, epsilon=2.0)
    assert spent_when_drawn == [pytest.approx(2.0)], "the budget is spent before the noise is drawn"
    card = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert card["epsilon"] == 2.0 and card["cells"] == pl.read_csv(out).height == (YEARS + 1) * 7
    assert card["sigma"] == table.sigma and card["certified_epsilon"] <= 2.0 and "OpenDP" in card["mechanism"]
    assert "seed" not in card
    assert balance(sqlite_store).spent_epsilon == pytest.approx(2.0)


def test_refused_release_draws_no_noise(sqlite_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _ingested(sqlite_store)

    def forbidden(plan: Any) -> DPTable:
        raise AssertionError("noise drawn for a release that was not paid for")

    monkeypatch.setattr(dp_tables, "_draw", forbidden)
    with pytest.raises(BudgetExceededError):
        release_dp_table(sqlite_store, tmp_path / "t.csv", ["prs_gender"], epsilon=11.0)
    with pytest.raises(InputError, match="single-valued"):
        release_dp_table(sqlite_store, tmp_path / "t.csv", ["vic_type_of_exploitation"], epsilon=1.0)
    assert balance(sqlite_store).spent_epsilon == 0 and not (tmp_path / "t.csv").exists()


def test_cli_refuses_an_overspend(sqlite_store: Store, tmp_path: Path) -> None:
    _ingested(sqlite_store)
    release_dp_table(sqlite_store, tmp_path / "by_year.csv", DIMS, epsilon=2.0)
    done = subprocess.run(
        [sys.executable, "-m", "palermo", "--db", sqlite_store.url, "publish", "table", "--dims", "prs_gender",
         "--epsilon", "9", "--out", str(tmp_path / "g.csv")], capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr  # 2 + 9 > the default total of 10
    assert not (tmp_path / "g.csv").exists()
