"""DP synthetic microdata: OpenDP's check of the accounting, reproducible with a seed, valid values, error falling
as ε grows; the CLI end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from tests.support import run_palermo

from palermo.errors import InputError
from palermo.publish.budget import ledger
from palermo.publish.synthetic import (
    SYNTHETIC_COLUMNS,
    approx_dp,
    marginal_error,
    marginals_measurement,
    noise_scales,
    prepare,
    synthesize,
    zcdp_rho,
)
from palermo.store.db import open_store


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


@pytest.mark.parametrize(("epsilon", "delta", "n_columns"), [(0.05, 1e-6, 8), (2.0, 1e-6, 8), (4.0, 1e-9, 3)])
def test_opendp_certifies_the_marginals_accounting(epsilon: float, delta: float, n_columns: int) -> None:
    scales = noise_scales(epsilon, delta, n_columns)
    pairs = n_columns * (n_columns - 1) // 2
    composed = marginals_measurement(n_columns, scales.sigma_one, scales.sigma_two)
    # sensitivity 1 per marginal: ρ = C / 2σ₁² + P / 2σ₂², and OpenDP's composition agrees
    rho = n_columns / (2 * scales.sigma_one**2) + pairs / (2 * scales.sigma_two**2)
    assert composed.map(1.0) == pytest.approx(rho, rel=1e-9) == scales.rho
    certified, fixed = approx_dp(composed, delta / 2).map(1.0)
    assert certified <= epsilon and fixed == delta / 2 and certified == scales.certified_epsilon
    assert certified > 0.999 * epsilon, "ρ is the largest OpenDP certifies"
    assert approx_dp(marginals_measurement(n_columns, scales.sigma_one * 0.97, scales.sigma_two), delta / 2).map(
        1.0
    )[0] > epsilon
    # the closed form ρ + 2√(ρ ln 1/δ) was valid but looser: OpenDP gives a smaller ε for its ρ
    assert zcdp_rho(epsilon, delta / 2) < scales.rho
    # the threshold: a count of 1 passes it with probability δ / 2C per column, at most δ/2 for a record's C values
    tail = 0.5 * math.erfc((scales.threshold - 1) / (scales.sigma_one * math.sqrt(2)))
    assert n_columns * tail == pytest.approx(scales.threshold_delta, rel=1e-9)
    assert 0.999 * delta / 2 < n_columns * tail <= delta / 2


def test_threshold_agrees_with_opendp_thresholded_gaussian() -> None:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    scales = noise_scales(2.0, 1e-6, 8)
    counts = dp.map_domain(dp.atom_domain(T=dp.String), dp.atom_domain(T=dp.i64))
    metric = dp.l02inf_distance(dp.absolute_distance(T=dp.i64))

    def opendp_threshold(threshold: int) -> tuple[float, float]:
        measurement: Any = dp.m.make_gaussian_threshold(counts, metric, scale=scales.sigma_one, threshold=threshold)
        rho, delta = measurement.map((1, 1, 1))  # one record: one key, changed by 1
        return float(rho), float(delta)

    # OpenDP's discrete version of the same 1-way release: the same ρ, and its δ brackets ours (a count of 1
    # passes a threshold half a unit higher less often, half a unit lower more often)
    per_column = scales.threshold_delta / 8
    rho_high, delta_high = opendp_threshold(math.ceil(scales.threshold) + 1)
    rho_low, delta_low = opendp_threshold(math.floor(scales.threshold))
    assert rho_high == rho_low == pytest.approx(1 / (2 * scales.sigma_one**2), rel=1e-9)
    assert delta_high < per_column < delta_low


class _Recorder:
    """A NumPy generator that records the scale and size of every Gaussian draw."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.normal_calls: list[tuple[float, int]] = []

    def normal(self, loc: float, scale: float, size: Any) -> Any:
        self.normal_calls.append((scale, int(np.prod(size))))
        return self.rng.normal(loc, scale, size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rng, name)


def test_noise_at_the_accounted_scales_and_missing_always_noised(monkeypatch: pytest.MonkeyPatch) -> None:
    recorders: list[_Recorder] = []
    real = np.random.default_rng

    def recording(seed: int) -> _Recorder:
        recorders.append(_Recorder(real(seed)))
        return recorders[-1]

    columns = ["prs_gender", "vic_majority_status", "cas_data_source"]  # the last two have no missing values
    cases = _cases(2_000)
    monkeypatch.setattr(np.random, "default_rng", recording)
    synthesize(cases, epsilon=1.0, delta=1e-6, seed=1, columns=columns)
    scales = noise_scales(1.0, 1e-6, 3)
    calls = recorders[0].normal_calls
    # three 1-way draws at σ₁: every value present, plus "missing" where no record lacks the value
    assert calls[:3] == [(scales.sigma_one, 3), (scales.sigma_one, 3), (scales.sigma_one, 3)]
    # three 2-way tables at σ₂ over the released values (every one of them passes at this size)
    assert calls[3:] == [(scales.sigma_two, 9)] * 3


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


@pytest.mark.slow
def test_cli_release_data_card_and_budget(tmp_path: Path) -> None:
    assert run_palermo("demo", "--cases", "600", cwd=tmp_path).returncode == 0
    env = {"PALERMO_PRIVACY_BUDGET_EPSILON": "5"}
    first = run_palermo(
        "publish", "synthetic", "--epsilon", "3", "--seed", "4", "--out", "r1", "--release", "a", cwd=tmp_path, env=env
    )
    assert first.returncode == 0, first.stderr
    frame = pl.read_parquet(tmp_path / "r1" / "synthetic.parquet")
    assert frame.columns == list(SYNTHETIC_COLUMNS) and frame.height > 100
    assert pl.read_csv(tmp_path / "r1" / "synthetic.csv").height == frame.height
    card = json.loads((tmp_path / "r1" / "datacard.json").read_text(encoding="utf-8"))
    assert card["epsilon"] == 3 and card["delta"] == 1e-6 and "seed" not in card["parameters"]
    # the seed is kept in the (internal) ledger, never in the public card
    entries = ledger(open_store(f"sqlite:///{tmp_path / 'palermo.db'}"))
    assert [entry.parameters["seed"] for entry in entries] == [4]
    assert card["budget_remaining_epsilon"] == pytest.approx(2) and card["caveats"] and card["attribution"]
    assert "ε = 3" in (tmp_path / "r1" / "datacard.md").read_text(encoding="utf-8")
    assert card["utility"]["marginal_mae"]["2_way"] > 0 and (tmp_path / "r1" / "utility.svg").exists()
    refused = run_palermo("publish", "synthetic", "--epsilon", "3", "--out", "r2", cwd=tmp_path, env=env)
    assert refused.returncode == 2 and "ε = 2 left" in refused.stderr and not (tmp_path / "r2").exists()
    shown = run_palermo("publish", "budget", cwd=tmp_path, env=env)
    assert shown.returncode == 0 and "ε = 3 spent in 1 release(s), ε = 2 left of 5" in shown.stdout
