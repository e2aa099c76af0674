"""Forecasts: the local-level fit equals statsmodels' ETS, 80/95 % intervals cover simulated truth at about
the right rate, and the backtest's numbers are right on a series small enough to check by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest

from palermo.analyse.forecast import backtest, backtest_counts, fit_level, forecasts
from palermo.analyse.series import yearly_counts

SCHEMA = {"kind": pl.String, "series": pl.String, "year": pl.Int64, "count": pl.Int64}


def counts_frame(series: dict[str, list[int]], first: int = 2010) -> pl.DataFrame:
    rows = [("form", name, first + j, v) for name, values in series.items() for j, v in enumerate(values)]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def _sse(z: np.ndarray, alpha: float, l0: float) -> float:
    level, sse = l0, 0.0
    for value in z:
        sse += (value - level) ** 2
        level += alpha * (value - level)
    return sse


def test_fit_level_is_the_least_squares_ets_that_statsmodels_fits() -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    rng = np.random.default_rng(5)
    for _ in range(6):
        counts = rng.poisson(50 * np.exp(np.cumsum(rng.normal(0, 0.3, 10))))
        z = np.log1p(counts.astype(float))
        ours = fit_level(counts)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ETSModel(z, error="add").fit(disp=False)
        their_alpha, their_l0 = float(theirs.params[0]), float(theirs.params[1])
        their_sse = _sse(z, their_alpha, their_l0)
        our_sse = ours.sigma**2 * (len(z) - 2)
        assert our_sse <= their_sse * (1 + 1e-3)  # L-BFGS sometimes stops at a worse local optimum
        if abs(our_sse - their_sse) <= 1e-3 * their_sse:
            assert ours.level == pytest.approx(float(theirs.forecast(1)[0]), abs=0.02)


def test_intervals_cover_simulated_truth_at_about_the_nominal_rate() -> None:
    """Series from a drifting level with Poisson noise, and stable Poisson series: forecast the next year."""
    rng = np.random.default_rng(11)
    hits = {0.8: 0, 0.95: 0}
    trials = 600
    for trial in range(trials):
        size = rng.uniform(20, 2000)
        drift = np.cumsum(rng.normal(0, 0.15, 11)) if trial % 2 else np.zeros(11)
        truth = rng.poisson(size * np.exp(drift))
        fit = fit_level(truth[:-1])
        for level in hits:
            lower, upper = fit.interval(level)
            hits[level] += int(lower <= truth[-1] <= upper)
    assert 0.75 <= hits[0.8] / trials <= 0.90
    assert 0.91 <= hits[0.95] / trials <= 0.99


def test_backtest_numbers_by_hand() -> None:
    # Constant series: every forecast is exact, so the model's errors are 0 and the interval is the value.
    constant = backtest_counts(counts_frame({"flat": [5] * 7}), min_train=5)
    flat = constant.row(0, named=True)
    assert flat["forecasts"] == 2 and flat["mae"] == pytest.approx(0.0, abs=1e-9) and flat["mae_naive"] == 0
    assert flat["relative_mae"] is None and flat["mase"] is None and flat["coverage_95"] == 1.0

    values = [10, 12, 11, 13, 15, 14, 20]
    frame = backtest_counts(counts_frame({"x": values, "y": [0, 0, *values]}), min_train=5)
    x, y, overall = frame.row(0, named=True), frame.row(1, named=True), frame.row(2, named=True)
    # Origins: train on 10..15 -> forecast 14; train on 10..14 -> forecast 20 (leading zeros are dropped).
    first, second = fit_level(values[:5]), fit_level(values[:6])
    errors = [abs(14 - first.forecast()), abs(20 - second.forecast())]
    assert x["forecasts"] == 2
    assert x["mae"] == pytest.approx(sum(errors) / 2)
    assert x["mae_naive"] == pytest.approx((abs(14 - 15) + abs(20 - 14)) / 2)  # = 3.5
    assert x["relative_mae"] == pytest.approx(x["mae"] / 3.5)
    scale = (2 + 1 + 2 + 2 + 1) / 5  # mean |change| over 10, 12, 11, 13, 15, 14 = 1.6
    assert x["mase"] == pytest.approx(x["mae"] / scale) and x["mase_naive"] == pytest.approx(3.5 / scale)
    covered_80 = [lo <= actual <= hi for (lo, hi), actual in ((first.interval(0.8), 14), (second.interval(0.8), 20))]
    assert x["coverage_80"] == pytest.approx(sum(covered_80) / 2)
    assert {k: v for k, v in y.items() if k != "series"} == {k: v for k, v in x.items() if k != "series"}
    assert overall["kind"] == "all" and overall["forecasts"] == 4
    assert overall["mae"] == pytest.approx(x["mae"]) and overall["mase"] == pytest.approx(x["mase"])


def test_fit_level_by_hand_when_alpha_is_one() -> None:
    """A random walk fits alpha ~ 1: the forecast is the last value; sigma from the year-on-year changes."""
    values = [10, 100, 1000, 10000, 100000]
    fit = fit_level(values)
    assert fit.alpha > 0.99 and fit.forecast() == pytest.approx(100000, rel=1e-3)
    steps = np.diff(np.log1p(values))
    assert fit.sigma == pytest.approx(math.sqrt(float(np.sum(steps**2)) / 3), rel=0.02)
    with pytest.raises(ValueError, match="at least 3"):
        fit_level([1, 2])


def _cases(rng: np.random.Generator) -> pl.DataFrame:
    countries = ["PL", "DE", "TH", "US", "NG"]
    forms = ["ForcedLabour", "SexualExploitation", "ForcedLabour;SexualExploitation"]
    years = rng.integers(2012, 2024, 20_000)
    return pl.DataFrame({
        "cas_registration_year": years,
        "vic_country_of_exploitation": rng.choice(countries, years.size),
        "prs_citizenship": rng.choice(countries, years.size),
        "vic_type_of_exploitation": rng.choice(forms, years.size),
    })


def test_forecast_and_backtest_tables() -> None:
    cases = _cases(np.random.default_rng(1))
    table = forecasts(cases, horizon=2)
    frame = table.frame
    assert set(frame.get_column("kind").unique()) == {"total", "region", "form"}
    regions = set(frame.filter(pl.col("kind") == "region").get_column("series"))
    assert regions == {"Europe", "Asia", "Americas", "Africa"}
    assert sorted(frame.get_column("year").unique().to_list()) == [2024, 2025]
    nested = frame.filter(
        (pl.col("lower_95") <= pl.col("lower_80")) & (pl.col("lower_80") <= pl.col("forecast"))
        & (pl.col("forecast") <= pl.col("upper_80")) & (pl.col("upper_80") <= pl.col("upper_95"))
    )
    assert nested.height == frame.height
    one, two = (frame.filter((pl.col("series") == "all cases") & (pl.col("year") == y)).row(0, named=True)
                for y in (2024, 2025))
    assert two["upper_95"] - two["lower_95"] >= one["upper_95"] - one["lower_95"]
    assert one["forecast"] == pytest.approx(20_000 / 12, rel=0.15)
    assert table.dims == ("kind", "series", "year") and "lower_80" in table.figures

    result = backtest(cases)
    rows = {r["series"]: r for r in result.frame.iter_rows(named=True)}
    assert rows["all cases"]["forecasts"] == 12 - 5
    assert 0 < rows["all series"]["coverage_95"] <= 1
    counts = yearly_counts(cases, ["total"])
    assert counts.get_column("count").sum() == 20_000
