"""Emerging changes: injected jumps are flagged, stable series are not, and the false-alarm rate over many
null sets stays near the FDR level; the predictive distribution agrees with simulation."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
import pytest
from scipy import stats

from palermo.analyse.changes import assess_counts, emerging_changes
from palermo.analyse.series import yearly_counts
from palermo.analyse.trend import DispersionPrior, dispersion_prior, fit_trend

FIRST = 2015
SCHEMA = {"kind": pl.String, "series": pl.String, "year": pl.Int64, "count": pl.Int64}


def cases_from(rows: list[tuple[str, str, str, int, int]]) -> pl.DataFrame:
    """Cases from ``(citizenship, country, forms, year, how many)``."""
    spec = pl.DataFrame(
        rows,
        schema={"prs_citizenship": pl.String, "vic_country_of_exploitation": pl.String,
                "vic_type_of_exploitation": pl.String, "cas_registration_year": pl.Int64, "n": pl.Int64},
        orient="row",
    )
    columns = [c for c in spec.columns if c != "n"]
    return spec.select(pl.col(columns).repeat_by(pl.col("n"))).explode(columns)


def counts_frame(matrix: Sequence[Sequence[int] | np.ndarray], kind: str = "corridor") -> pl.DataFrame:
    rows = [(kind, f"s{i:03d}", FIRST + j, int(v)) for i, row in enumerate(matrix) for j, v in enumerate(row)]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def test_yearly_counts_zero_fill_and_split_forms() -> None:
    cases = cases_from([
        ("UA", "PL", "ForcedLabour;SexualExploitation", 2020, 2),
        ("UA", "PL", "ForcedLabour", 2022, 1),
        ("MD", "RU", None, 2022, 3),  # type: ignore[list-item]
    ])
    counts = yearly_counts(cases, ["corridor", "form", "total"])
    got = {(k, s, y): c for k, s, y, c in counts.iter_rows()}
    assert got[("corridor", "UA → PL", 2020)] == 2
    assert got[("corridor", "UA → PL", 2021)] == 0
    assert got[("corridor", "MD → RU", 2020)] == 0
    assert got[("form", "ForcedLabour", 2020)] == 2
    assert got[("form", "ForcedLabour", 2022)] == 1
    assert got[("form", "SexualExploitation", 2022)] == 0
    assert got[("total", "all cases", 2022)] == 4
    assert not any(s == "" or s is None for _, s, _, _ in counts.iter_rows())
    assert counts.height == 3 * (2 + 2 + 1)


def test_injected_jump_drop_and_new_corridor_are_flagged_and_stable_series_are_not() -> None:
    rng = np.random.default_rng(20240601)
    rows: list[tuple[str, str, str, int, int]] = []
    stable = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(40)]
    for i, citizenship in enumerate(stable):
        rate = 10.0 + 5.0 * i
        rows += [(citizenship, "PL", "ForcedLabour", year, int(rng.poisson(rate))) for year in range(2016, 2022)]
    rows += [("UA", "DE", "ForcedLabour", year, int(rng.poisson(40))) for year in range(2016, 2021)]
    rows += [("UA", "DE", "ForcedLabour", 2021, 120)]  # a tripling
    rows += [("MD", "RU", "ForcedLabour", year, int(rng.poisson(150))) for year in range(2016, 2021)]
    rows += [("MD", "RU", "ForcedLabour", 2021, 50)]  # a collapse
    rows += [("KE", "MM", "ForcedLabour", 2021, 15)]  # a corridor that did not exist
    table = emerging_changes(cases_from(rows), kinds=("corridor",))
    frame = table.frame
    flagged = frame.filter("flagged")
    assert set(flagged.get_column("series").to_list()) == {"UA → DE", "MD → RU", "KE → MM"}
    by_series = {row["series"]: row for row in frame.iter_rows(named=True)}
    assert by_series["UA → DE"]["direction"] == "up"
    assert by_series["UA → DE"]["upper"] < 120 and 30 < by_series["UA → DE"]["expected"] < 55
    assert by_series["MD → RU"]["direction"] == "down" and by_series["MD → RU"]["lower"] > 50
    assert by_series["KE → MM"]["method"] == "zero history (Jeffreys)"
    assert by_series["KE → MM"]["expected"] == pytest.approx(0.1)
    assert frame.height == 43
    assert table.counts == ("observed",) and table.dims == ("kind", "series")
    assert (frame.get_column("q_value") >= frame.get_column("p_value")).all()


def test_false_alarms_over_many_null_sets_stay_near_the_fdr_level() -> None:
    """Stable Poisson, trending Poisson and overdispersed series, no change anywhere: the share of sets
    with any flag is the family-wise error, which Benjamini–Hochberg bounds by the FDR under the null."""
    rng = np.random.default_rng(7)
    generators: list[Callable[[], np.ndarray]] = [
        lambda: rng.poisson(rng.uniform(3, 300), 6),
        lambda: rng.poisson(rng.uniform(5, 300) * np.exp(rng.choice([-0.15, 0.15]) * np.arange(6))),
        lambda: rng.negative_binomial(max(1, int(rng.uniform(5, 150))), 0.5, 6),  # variance twice the mean
    ]
    sets, any_flag, p_values = 90, 0, []
    for replicate in range(sets):
        generate = generators[replicate % len(generators)]
        result = assess_counts(counts_frame([generate() for _ in range(30)]), FIRST + 5, min_cases=0)
        any_flag += int(result.get_column("flagged").any())
        p_values += result.get_column("p_value").to_list()
    assert any_flag / sets <= 0.05 + 0.05  # nominal 5 %, plus two binomial standard errors at 90 sets
    assert float(np.mean(np.array(p_values) < 0.05)) <= 0.06
    assert float(np.mean(np.array(p_values) < 0.01)) <= 0.015


def test_predictive_distribution_matches_simulation() -> None:
    """Parameter and dispersion uncertainty integrated by quadrature agree with brute-force simulation."""
    history = [30, 20, 40, 25, 35]
    fit = fit_trend(history, min_trend=99)  # the level model: its simulation is short to write
    rng = np.random.default_rng(3)
    n, mean = len(history), float(np.mean(history))
    pearson = float(np.sum((np.array(history) - mean) ** 2 / mean)) / (n - 1)
    phi = np.maximum(1.0, pearson * (n - 1) / rng.chisquare(n - 1, 400_000))
    mu = np.exp(math.log(mean) + rng.normal(size=phi.size) * np.sqrt(phi / (n * mean)))
    size = mu / np.maximum(phi - 1.0, 1e-12)
    draws = np.where(phi > 1.0, rng.negative_binomial(size, size / (size + mu)), rng.poisson(mu))
    for q in (0.025, 0.1, 0.5, 0.9, 0.975):
        assert abs(fit.predictive.quantile(q) - float(np.quantile(draws, q))) <= 1
    for observed in (5, 60, 90):
        simulated = min(1.0, 2 * min(np.mean(draws <= observed), np.mean(draws >= observed)))
        assert fit.predictive.p_value(observed) == pytest.approx(simulated, rel=0.15)


def test_zero_history_uses_the_jeffreys_predictive() -> None:
    fit = fit_trend([0, 0, 0, 0, 0])
    assert fit.expected == pytest.approx(0.1)
    reference = stats.nbinom(0.5, 5 / 6)
    for observed in (1, 3, 12):
        assert fit.predictive.p_value(observed) == pytest.approx(min(1.0, 2 * float(reference.sf(observed - 1))))
    assert fit.predictive.p_value(0) == 1.0
    assert fit.interval(0.95) == (int(reference.ppf(0.025)), int(reference.ppf(0.975)))


def test_sparse_history_never_extrapolates_a_single_year() -> None:
    fit = fit_trend([0, 0, 0, 0, 12])
    assert fit.method.endswith("level") and fit.expected == pytest.approx(2.4)
    assert fit.interval(0.95)[1] < 100


def test_poisson_level_interval_without_overdispersion() -> None:
    fit = fit_trend([100, 100, 100, 100, 100], min_trend=99)
    assert fit.dispersion == 1.0 and fit.method == "Poisson level"
    lower, upper = fit.interval(0.95)
    # Poisson noise and the uncertainty of a mean of 500 cases: sd ~ sqrt(100 + 100**2 / 500) ~ 10.95.
    assert lower == pytest.approx(100 - 1.96 * 10.95, abs=2) and upper == pytest.approx(100 + 1.96 * 10.95, abs=2)


def test_dispersion_prior_pools_agreeing_series_and_not_disagreeing_ones() -> None:
    rng = np.random.default_rng(5)
    agreeing = 2.0 * rng.chisquare(4, 200) / 4
    prior = dispersion_prior(agreeing.tolist(), [4] * 200)
    assert prior is not None and prior.df > 30 and prior.scale == pytest.approx(2.0, rel=0.15)
    spread = np.exp(rng.normal(0, 1.2, 200)) * rng.chisquare(4, 200) / 4
    loose = dispersion_prior(spread.tolist(), [4] * 200)
    assert loose is not None and loose.df < 5
    assert dispersion_prior([1.0, 2.0], [4, 4]) is None
    pooled = fit_trend([30, 31, 29, 30, 30], prior=DispersionPrior(math.inf, 3.0))
    assert pooled.dispersion == pytest.approx(3.0)


def test_too_little_history_gives_an_empty_table_with_a_note() -> None:
    table = emerging_changes(cases_from([("UA", "PL", "ForcedLabour", 2023, 5), ("UA", "PL", "ForcedLabour", 2024, 9)]))
    assert table.frame.is_empty()
    assert any("at least 3" in note for note in table.notes)
    empty = emerging_changes(cases_from([]))
    assert empty.frame.is_empty()
