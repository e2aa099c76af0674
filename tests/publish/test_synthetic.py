"""DP synthetic microdata: reproducible with a seed, valid values, error falling as ε grows; the CLI end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from palermo.errors import InputError
from palermo.publish.synthetic import SYNTHETIC_COLUMNS, marginal_error, prepare, synthesize


def _cases(n: int = 20_000, seed: int = 3) -> pl.DataFrame:
    """Correlated categorical cases: minors are younger, forms of exploitation depend on gender."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(np.array(["Feminine", "Masculine", None], dtype=object), n, p=[0.65, 0.33, 0.02])
    minor = rng.random(n) < 0.25
    band = np.where(minor, rng.choice(["0--8", "9--17"], n), rng.choice(["18--20", "21--23", "30--38"], n))
    form = np.where(
        gender == "Feminine",
        rng.choice(["SexualExploitation;ForcedLabour", "SexualExploitation"], n),
        rng.choice(["ForcedLabour", "Other"], n),
    )
    return pl.DataFrame(
        {
            "cas_registration_year": rng.integers(2015, 2024, n),
            "prs_gender": gender.tolist(),
            "vic_age_band": band,
            "vic_majority_status": np.where(minor, "Minor", "Adult"),
            "prs_citizenship": rng.choice(["UA", "PH", "MD", "RO", "NG"], n),
            "vic_country_of_exploitation": rng.choice(np.array(["US", "DE", "TR", None], dtype=object), n).tolist(),
            "vic_type_of_exploitation": form,
            "cas_data_source": rng.choice(["CaseManagement", "Hotline"], n),
        }
    )


def test_same_seed_same_release_other_seed_other_release() -> None:
    cases = _cases()
    a = synthesize(cases, epsilon=2.0, delta=1e-6, seed=11)
    assert a.equals(synthesize(cases, epsilon=2.0, delta=1e-6, seed=11))
    assert not a.equals(synthesize(cases, epsilon=2.0, delta=1e-6, seed=12))


def test_columns_and_values_are_valid() -> None:
    cases = _cases()
    out = synthesize(cases, epsilon=1.0, delta=None, seed=1, rows=5_000)
    assert out.columns == list(SYNTHETIC_COLUMNS) and out.height == 5_000
    assert out.schema["cas_registration_year"] == pl.Int64
    real = prepare(cases)
    for column in out.columns:
        allowed = set(real.get_column(column).to_list()) | {""}
        produced = set(prepare(out).get_column(column).to_list())
        assert produced <= allowed, column
    assert set(out.get_column("vic_type_of_exploitation").drop_nulls()) <= {
        "SexualExploitation",
        "ForcedLabour",
        "Other",
    }


def test_error_falls_as_epsilon_grows() -> None:
    cases = _cases()
    errors = {
        eps: [
            np.mean([marginal_error(cases, synthesize(cases, epsilon=eps, delta=1e-6, seed=s), way) for s in range(3)])
            for way in (1, 2)
        ]
        for eps in (0.05, 0.5, 4.0)
    }
    assert errors[4.0][0] < errors[0.5][0] < errors[0.05][0]
    assert errors[4.0][1] < errors[0.05][1]
    assert errors[4.0][0] < 0.02 and errors[4.0][1] < 0.05
    shuffled = cases.select(pl.col(c).shuffle(seed=i) for i, c in enumerate(cases.columns))
    assert errors[4.0][1] < marginal_error(cases, shuffled, 2) / 2, "pairs must keep their association"


def test_rare_values_are_not_released() -> None:
    cases = pl.concat(
        [_cases(5_000), _cases(1).with_columns(pl.lit("ZW").alias("prs_citizenship"))], how="vertical_relaxed"
    )
    out = synthesize(cases, epsilon=1.0, delta=1e-6, seed=5)
    assert "ZW" not in out.get_column("prs_citizenship").to_list()


def test_bad_parameters_are_refused() -> None:
    cases = _cases(100)
    with pytest.raises(InputError):
        synthesize(cases, epsilon=0.0, delta=None, seed=1)
    with pytest.raises(InputError):
        synthesize(cases, epsilon=1.0, delta=1.5, seed=1)
    with pytest.raises(InputError):
        synthesize(cases, epsilon=1.0, delta=None, seed=1, columns=["nope", "prs_gender"])


@pytest.mark.slow
def test_pac_synth_engine_produces_the_columns() -> None:
    out = synthesize(_cases(2_000), epsilon=4.0, delta=None, seed=1, rows=300, engine="pac-synth")
    assert out.columns == list(SYNTHETIC_COLUMNS) and out.height > 0


def _palermo(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "palermo", *args], cwd=cwd, capture_output=True, text=True, env=full, check=False
    )


@pytest.mark.slow
def test_cli_release_data_card_and_budget(tmp_path: Path) -> None:
    assert _palermo("demo", "--cases", "600", cwd=tmp_path).returncode == 0
    env = {"PALERMO_PRIVACY_BUDGET_EPSILON": "5"}
    first = _palermo(
        "publish", "synthetic", "--epsilon", "3", "--seed", "4", "--out", "r1", "--release", "a", cwd=tmp_path, env=env
    )
    assert first.returncode == 0, first.stderr
    frame = pl.read_parquet(tmp_path / "r1" / "synthetic.parquet")
    assert frame.columns == list(SYNTHETIC_COLUMNS) and frame.height > 100
    assert pl.read_csv(tmp_path / "r1" / "synthetic.csv").height == frame.height
    card = json.loads((tmp_path / "r1" / "datacard.json").read_text(encoding="utf-8"))
    assert card["epsilon"] == 3 and card["delta"] == 1e-6 and card["parameters"]["seed"] == 4
    assert card["budget_remaining_epsilon"] == pytest.approx(2) and card["caveats"] and card["attribution"]
    assert "ε = 3" in (tmp_path / "r1" / "datacard.md").read_text(encoding="utf-8")
    assert card["utility"]["marginal_mae"]["2_way"] > 0 and (tmp_path / "r1" / "utility.svg").exists()
    refused = _palermo("publish", "synthetic", "--epsilon", "3", "--out", "r2", cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "ε = 2 left" in refused.stderr and not (tmp_path / "r2").exists()
    shown = _palermo("publish", "budget", cwd=tmp_path, env=env)
    assert shown.returncode == 0 and "ε = 3 spent in 1 release(s), ε = 2 left of 5" in shown.stdout
