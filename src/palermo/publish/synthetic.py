"""Differentially private synthetic microdata of the categorical case fields, like CTDC's synthetic release.

Two engines:

``marginals`` (default; reproducible with a seed)
    The mechanism behind pac-synth's aggregate-seeded synthesizer, cut to combinations of length 1 and 2 and
    driven by one seeded NumPy generator. Gaussian noise is added to every 1-way count and to every cell of every
    2-way table (the cross product of the released values, so absent combinations get noise too); the budget is
    accounted in zero-concentrated DP (a record changes ``C`` 1-way and ``C(C-1)/2`` 2-way cells by one) and
    converted to (ε, δ). A value is released only if its noisy count passes a threshold that a value held by one
    record crosses with probability below δ/2 (the missing value is always released: it is public). Records are
    then sampled column by column, each value drawn in proportion to ``P(v) Π P(x_i | v)`` over the columns
    already drawn (post-processing: no further privacy cost), vectorised with the Gumbel-max trick.
``pac-synth``
    Microsoft's pac-synth (the CTDC synthesizer) itself, at a chosen reporting length. Its noise comes from an
    unseeded thread RNG, so the same seed does not give the same release; its sampler is slow (measured in
    bench/publish.py), so it suits smaller releases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from statistics import NormalDist
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ..errors import InputError
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


@dataclass(frozen=True)
class NoiseScales:
    """Standard deviations of the Gaussian noise per cell, and the threshold for releasing a value."""

    rho: float
    sigma_one: float
    sigma_two: float
    threshold: float


def zcdp_rho(epsilon: float, delta: float) -> float:
    """The ρ of zero-concentrated DP that gives (ε, δ)-DP (ε = ρ + 2√(ρ log 1/δ)); refuses bad parameters."""
    if not (epsilon > 0 and math.isfinite(epsilon)):
        raise InputError(f"epsilon must be a positive number, not {epsilon}")
    if not 0 < delta < 1:
        raise InputError(f"delta must be between 0 and 1, not {delta}")
    log_term = math.log(1 / delta)
    return (math.sqrt(epsilon + log_term) - math.sqrt(log_term)) ** 2


def noise_scales(epsilon: float, delta: float, n_columns: int) -> NoiseScales:
    """Noise for (ε, δ)-DP: half of δ converts zCDP to (ε, δ), the other half covers released rare values."""
    zcdp_rho(epsilon, delta)  # refuse bad parameters with the caller's δ in the message
    rho = zcdp_rho(epsilon, delta / 2)
    pairs = n_columns * (n_columns - 1) / 2
    sigma_one = math.sqrt(n_columns / (2 * rho * _ONE_WAY_SHARE))
    sigma_two = math.sqrt(max(pairs, 1) / (2 * rho * (1 - _ONE_WAY_SHARE)))
    threshold = 1 + sigma_one * NormalDist().inv_cdf(1 - delta / (2 * n_columns))
    return NoiseScales(rho=rho, sigma_one=sigma_one, sigma_two=sigma_two, threshold=threshold)


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
        noisy = true + rng.normal(0.0, scales.sigma_one, len(values))
        keep = (noisy > scales.threshold) | (np.array(values) == _MISSING)
        domain = [v for v, k in zip(values, keep, strict=True) if k]
        if _MISSING not in domain:
            domain.append(_MISSING)
        released = dict(zip(values, noisy, strict=True))
        index = {v: i for i, v in enumerate(domain)}
        column = frame.get_column(name).replace_strict(index, default=index[_MISSING], return_dtype=pl.Int64)
        domains.append(domain)
        codes.append(column.to_numpy())
        one_way.append(np.array([max(released.get(v, 0.0), 0.0) for v in domain]))
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
