"""Differentially private synthetic microdata of the categorical case fields, like CTDC's synthetic release.

Two engines:

``marginals`` (default; reproducible with a seed)
    The mechanism behind pac-synth's aggregate-seeded synthesizer, cut to combinations of length 1 and 2 and
    driven by one seeded NumPy generator. Gaussian noise is added to every 1-way count and to every cell of every
    2-way table (the cross product of the released values, so absent combinations get noise too); the budget is
    accounted in zero-concentrated DP (a record changes ``C`` 1-way and ``C(C-1)/2`` 2-way cells by one) and
    converted to (ε, δ) by OpenDP. A value is released only if its noisy count passes a threshold that a value
    held by one record crosses with probability below δ/2 over all columns (the missing value is always
    released, with a noisy count even when no record lacks the value: it is public). Records are then sampled
    column by column, each value drawn in proportion to ``P(v) Π P(x_i | v)`` over the columns already drawn
    (post-processing: no further privacy cost), vectorised with the Gumbel-max trick.
``pac-synth``
    Microsoft's pac-synth (the CTDC synthesizer) itself, at a chosen reporting length. Its noise comes from an
    unseeded thread RNG, so the same seed does not give the same release; its sampler is slow (measured in
    bench/publish.py), so it suits smaller releases. Its accounting is pac-synth's own and was not reviewed here.

Guarantee of ``marginals``: (ε, δ)-DP for the addition or removal of one case (one row of the frame).

Accounting reviewed (``marginals``):

* Sensitivity. Every released column is single-valued (the form of exploitation is cut to its first code, the
  first of the sorted codes, not the first recorded), and a value outside the released domain is mapped to
  "missing" in the 2-way tables, so a record adds exactly one to one cell of each 1-way count and of each 2-way
  table: L2 sensitivity 1 per marginal, ``C + C(C-1)/2`` marginals. Correct.
* Composition. ρ of a marginal is ``1 / 2σ²``; the total is ``C / 2σ₁² + P / 2σ₂² = ρ`` (a quarter to the 1-way
  counts, the rest to the pairs). Correct; now computed by OpenDP: :func:`marginals_measurement` composes one
  ``make_gaussian`` of L2 sensitivity 1 per marginal (``make_composition``) and its map gives ρ.
* Conversion. ``ε = ρ + 2√(ρ ln 1/δ)`` (:func:`zcdp_rho`) is a valid but loose bound: OpenDP's conversion
  (``make_zCDP_to_approxDP``, ``make_fix_delta``) gives ε = 1.741 at δ/2 = 5e-7 for the ρ = 0.0645 the formula
  chose for ε = 2, C = 8, i.e. 13 % of the budget unused. ρ is now the largest OpenDP certifies at δ/2
  (ρ = 0.0834 for ε = 2, δ = 1e-6: σ₁ 15.74 → 13.85, σ₂ 17.01 → 14.96), and the composed measurement is
  checked again; :attr:`NoiseScales.certified_epsilon` holds OpenDP's ε.
* Threshold. A record can bring at most one value per column that no other record holds, so at most ``C``
  values could be released because of it (not one per possible value): the threshold ``1 + σ₁ z`` with
  ``P(N(0, 1) > z) = δ / 2C`` keeps the chance that any of them is released at most δ/2. Correct; the tail is
  now taken from the lower quantile (``-inv_cdf(δ/2C)``, no ``1 - p`` cancellation) and checked with ``erfc``.
  The two halves add (δ/2 + δ/2): the release event of a new value is independent of everything else the
  mechanism outputs, so the output is a mixture with weight ≤ δ/2 on that event (approximate zCDP); OpenDP's
  ``make_gaussian_threshold`` accounts for a thresholded count the same way (its δ is added to the
  conversion's).
* Error fixed. The missing value was always released but its count got noise only when some record lacked the
  value; in a column with no missing values its 1-way count was exactly 0, against 1 + noise if one record had
  it: a leak that no δ covers. The missing value now always gets a noisy count (0 + noise when absent).
* Caveats (not errors of the accounting): the guarantee is per case, not per person (one person in several
  cases is covered only for one of them); the noise is NumPy's floating-point Gaussian from a seeded PCG64,
  not a cryptographically secure generator, so the seed must stay secret — whoever knows it and all records
  but one can rerun the synthesis for both possibilities and see which gives the release, so a published
  seed voids the guarantee (:mod:`.synthetic_release` writes it into the data card's parameters) — and a
  31-bit random seed can in principle be searched.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ..errors import InputError, PalermoError
from ..standard import MULTI_SEPARATOR

SYNTHETIC_COLUMNS: dict[str, str] = {
    "cas_registration_year": "year of registration",
    "prs_gender": "gender",
    "vic_age_band": "age band at registration",
    "vic_majority_status": "adult or minor",
    "prs_citizenship": "citizenship (ISO 3166 alpha-2)",
    "vic_country_of_exploitation": "country of exploitation (ISO 3166 alpha-2)",
    "vic_type_of_exploitation": "form of exploitation (the first one recorded)",
    "cas_data_source": "source of the case data",
}
"""The released columns (CTDC's synthetic release has the same kinds) and what each holds."""

DEFAULT_DELTA = 1e-6
Engine = Literal["marginals", "pac-synth"]
ENGINES: tuple[str, ...] = ("marginals", "pac-synth")
_MISSING = ""
_CALIBRATION_ROUNDS = 4
_ONE_WAY_SHARE = 0.25
"""Share of the zCDP budget spent on 1-way counts; the rest goes to the 2-way tables."""
_MARGIN = 1e-9
"""Relative widening of σ and of the threshold's quantile, so that rounding cannot push OpenDP's map over ε."""


@dataclass(frozen=True)
class NoiseScales:
    """Standard deviations of the Gaussian noise per cell, and the threshold for releasing a value."""

    rho: float
    """The zCDP ρ of all the marginals together, from OpenDP's map."""
    sigma_one: float
    sigma_two: float
    threshold: float
    threshold_delta: float
    """The chance that a record's values no other record holds are released (at most δ/2)."""
    certified_epsilon: float
    """OpenDP's ε for ρ at δ/2 (at most the stated ε)."""


def zcdp_rho(epsilon: float, delta: float) -> float:
    """The ρ of zero-concentrated DP that gives (ε, δ)-DP (ε = ρ + 2√(ρ log 1/δ)); refuses bad parameters.

    A valid closed form, looser than OpenDP's conversion (:func:`noise_scales` uses OpenDP's).
    """
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise InputError(f"epsilon must be a positive number, not {epsilon}")
    if not 0 < delta < 1:
        raise InputError(f"delta must be between 0 and 1, not {delta}")
    log_term = math.log(1 / delta)
    return (math.sqrt(epsilon + log_term) - math.sqrt(log_term)) ** 2


def _opendp() -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _space(dp: Any) -> tuple[Any, Any]:
    """A vector of real counts under the L2 distance: the space in which each marginal is modelled."""
    return dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)


def approx_dp(measurement: Any, delta: float) -> Any:
    """A zCDP measurement converted by OpenDP to (ε, δ)-DP at the given δ."""
    dp = _opendp()
    return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(measurement), delta)


def marginals_measurement(n_columns: int, sigma_one: float, sigma_two: float) -> Any:
    """OpenDP's model of the marginals' accounting: one Gaussian of L2 sensitivity 1 per 1-way and 2-way marginal.

    Its map at ``d_in = 1`` (one record) is the zCDP ρ of the release; only the privacy map is used, the noise
    itself is drawn by NumPy (seeded).
    """
    dp = _opendp()
    space = _space(dp)
    pairs = n_columns * (n_columns - 1) // 2
    parts = [dp.m.make_gaussian(*space, scale=sigma_one)] * n_columns
    parts += [dp.m.make_gaussian(*space, scale=sigma_two)] * pairs
    return dp.c.make_composition(parts)


@functools.lru_cache(maxsize=64)
def _unit_sigma(epsilon: float, delta: float) -> float:
    """The smallest σ for which OpenDP certifies (ε, δ) for one Gaussian of L2 sensitivity 1."""
    dp = _opendp()
    space = _space(dp)
    return float(
        dp.binary_search_param(
            lambda scale: approx_dp(dp.m.make_gaussian(*space, scale=scale), delta), d_in=1.0, d_out=(epsilon, delta),
            T=float,
        )
    )


@functools.lru_cache(maxsize=64)
def noise_scales(epsilon: float, delta: float, n_columns: int) -> NoiseScales:
    """Noise for (ε, δ)-DP: half of δ converts zCDP to (ε, δ) (by OpenDP), the other half covers released rare values.

    ρ is the largest that OpenDP certifies for (ε, δ/2); it is split between the marginals, and the composed
    measurement (:func:`marginals_measurement`) is certified again by OpenDP before it is used.
    """
    zcdp_rho(epsilon, delta)  # refuse bad parameters with the caller's δ in the message
    if n_columns < 1:
        raise InputError(f"need one or more columns, not {n_columns}")
    half = delta / 2
    pairs = n_columns * (n_columns - 1) // 2
    # a marginal's ρ = share · ρ / count: σ = unit · √(count / share), with the unit σ for the whole ρ
    unit = _unit_sigma(epsilon, half) * (1 + _MARGIN)
    sigma_one = unit * math.sqrt(n_columns / _ONE_WAY_SHARE)
    sigma_two = unit * math.sqrt(max(pairs, 1) / (1 - _ONE_WAY_SHARE))
    composed = marginals_measurement(n_columns, sigma_one, sigma_two)
    rho = float(composed.map(1.0))
    certified, fixed = (float(x) for x in approx_dp(composed, half).map(1.0))
    z = -NormalDist().inv_cdf(half / n_columns) * (1 + _MARGIN)
    threshold = 1 + sigma_one * z
    threshold_delta = n_columns * 0.5 * math.erfc(z / math.sqrt(2))
    if certified > epsilon or fixed > half or threshold_delta > half:
        raise PalermoError(
            f"OpenDP does not certify (ε = {epsilon:g}, δ = {delta:g}): ε {certified}, δ {fixed} + {threshold_delta}"
        )
    return NoiseScales(
        rho=rho, sigma_one=sigma_one, sigma_two=sigma_two, threshold=threshold, threshold_delta=threshold_delta,
        certified_epsilon=certified,
    )


def prepare(cases: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """The released columns as text, missing values as ``""``, the form of exploitation cut to its first code."""
    chosen = list(SYNTHETIC_COLUMNS) if columns is None else columns
    unknown = [c for c in chosen if c not in cases.columns]
    if unknown or len(chosen) < 2:
        raise InputError(f"cannot synthesise columns {unknown or chosen}: need two or more case columns")
    frame = cases.select(pl.col(c).cast(pl.String) for c in chosen)
    if "vic_type_of_exploitation" in chosen:
        first = pl.col("vic_type_of_exploitation").str.split(MULTI_SEPARATOR).list.first()
        frame = frame.with_columns(first.alias("vic_type_of_exploitation"))
    return frame.fill_null(_MISSING)


def synthesize(
    cases: pl.DataFrame,
    *,
    epsilon: float,
    delta: float | None,
    seed: int,
    columns: list[str] | None = None,
    rows: int | None = None,
    engine: Engine = "marginals",
    reporting_length: int = 2,
) -> pl.DataFrame:
    """(ε, δ)-DP synthetic records of ``cases``' categorical columns (``delta=None``: :data:`DEFAULT_DELTA`).

    ``rows`` defaults to the noisy number of cases. Missing values come out as nulls; the year as an integer.
    """
    frame = prepare(cases, columns)
    if frame.height == 0:
        raise InputError("there are no cases to synthesise")
    if rows is not None and rows < 1:
        raise InputError(f"the number of synthetic rows must be positive, not {rows}")
    delta = DEFAULT_DELTA if delta is None else delta
    if engine == "marginals":
        synthetic = _marginals(frame, epsilon, delta, seed, rows)
    elif engine == "pac-synth":
        synthetic = _pac_synth(frame, epsilon, delta, rows, reporting_length)
    else:
        raise InputError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    out = synthetic.with_columns(
        pl.when(pl.col(c) == _MISSING).then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns
    )
    if "cas_registration_year" in out.columns:
        out = out.with_columns(pl.col("cas_registration_year").cast(pl.Int64, strict=False))
    return out


def _marginals(frame: pl.DataFrame, epsilon: float, delta: float, seed: int, rows: int | None) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    scales = noise_scales(epsilon, delta, frame.width)
    names = frame.columns
    domains: list[list[str]] = []
    codes: list[npt.NDArray[np.int64]] = []
    one_way: list[npt.NDArray[np.float64]] = []
    for name in names:
        counts = frame.get_column(name).value_counts().sort(name)
        values, true = counts.get_column(name).to_list(), counts.get_column("count").to_numpy().astype(float)
        if _MISSING not in values:  # always released, so always noised: an exact 0 would tell it apart from 1
            values, true = [_MISSING, *values], np.concatenate(([0.0], true))
        noisy = true + rng.normal(0.0, scales.sigma_one, len(values))
        keep = (noisy > scales.threshold) | (np.array(values) == _MISSING)
        domain = [v for v, k in zip(values, keep, strict=True) if k]
        released = dict(zip(values, noisy, strict=True))
        index = {v: i for i, v in enumerate(domain)}
        column = frame.get_column(name).replace_strict(index, default=index[_MISSING], return_dtype=pl.Int64)
        domains.append(domain)
        codes.append(column.to_numpy())
        one_way.append(np.array([max(released[v], 0.0) for v in domain]))
    two_way: dict[tuple[int, int], npt.NDArray[np.float64]] = {}
    for i, j in combinations(range(len(names)), 2):
        size = (len(domains[i]), len(domains[j]))
        table = np.zeros(size)
        np.add.at(table, (codes[i], codes[j]), 1.0)
        table += rng.normal(0.0, scales.sigma_two, size)
        two_way[i, j] = np.clip(table, 0.0, None)
    total = rows if rows is not None else max(1, round(float(np.mean([t.sum() for t in one_way]))))
    return _sample(names, domains, one_way, two_way, total, rng)


def _sample(
    names: list[str],
    domains: list[list[str]],
    one_way: list[npt.NDArray[np.float64]],
    two_way: dict[tuple[int, int], npt.NDArray[np.float64]],
    total: int,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Draw each column given the ones before it, ``P(v) Π P(x_i | v)`` from the noisy tables, then calibrate.

    The product over-counts evidence when earlier columns are correlated, which skews the column's own
    distribution; a few rounds of shifting each value's weight by ``log(target / realised)`` restore the noisy
    1-way shares (the Gumbel draws stay fixed, so the result stays a function of the seed).
    """
    drawn: list[npt.NDArray[np.int64]] = []
    for j in range(len(names)):
        prior = one_way[j] + 0.5
        score = np.broadcast_to(np.log(prior / prior.sum()), (total, len(domains[j]))).copy()
        for i in range(j):
            table = two_way[i, j] + 0.5
            conditional = np.log(table / table.sum(axis=0, keepdims=True))
            score += conditional[drawn[i]]
        score += rng.gumbel(size=score.shape)
        target = prior / prior.sum()
        for _ in range(_CALIBRATION_ROUNDS):
            realised = np.bincount(score.argmax(axis=1), minlength=len(target)) / total
            score += np.log(target / np.maximum(realised, 0.5 / total))
        drawn.append(score.argmax(axis=1))
    return pl.DataFrame(
        {
            name: np.array(domain, dtype=object)[codes]
            for name, domain, codes in zip(names, domains, drawn, strict=True)
        },
        schema=dict.fromkeys(names, pl.String),
    )


def _pac_synth(frame: pl.DataFrame, epsilon: float, delta: float, rows: int | None, length: int) -> pl.DataFrame:
    import pacsynth

    if length < 1:
        raise InputError(f"the reporting length must be positive, not {length}")
    parameters = (
        pacsynth.DpAggregateSeededParametersBuilder()
        .epsilon(epsilon)
        .delta(delta)
        .reporting_length(length)
        .fabrication_mode(pacsynth.FabricationMode.balanced())
        .build()
    )
    synthesizer = pacsynth.DpAggregateSeededSynthesizer(parameters)
    raw = [frame.columns, *(list(r) for r in frame.iter_rows())]
    synthesizer.fit(pacsynth.Dataset(raw))
    sampled = synthesizer.sample(rows)
    return pl.DataFrame(sampled[1:], schema=dict.fromkeys(sampled[0], pl.String), orient="row").select(frame.columns)


def marginal_error(real: pl.DataFrame, synthetic: pl.DataFrame, way: int, columns: list[str] | None = None) -> float:
    """Mean over ``way``-column combinations of the total variation distance between real and synthetic shares."""
    names = [c for c in (columns or list(SYNTHETIC_COLUMNS)) if c in synthetic.columns]
    a, b = prepare(real, names), prepare(synthetic, names)
    errors = []
    for group in combinations(names, way):
        shares = [
            f.group_by(group).len().with_columns(pl.col("len") / f.height).rename({"len": tag})
            for f, tag in ((a, "real"), (b, "synthetic"))
        ]
        joined = shares[0].join(shares[1], on=group, how="full", coalesce=True).fill_null(0.0)
        errors.append(0.5 * float((joined.get_column("real") - joined.get_column("synthetic")).abs().sum()))
    return float(np.mean(errors))
