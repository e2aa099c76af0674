"""Differentially private count tables, made and accounted by OpenDP; the budget is spent before any noise.

Guarantee
    A table is (ε, δ)-differentially private (δ defaults to :data:`~palermo.publish.synthetic.DEFAULT_DELTA`,
    1e-6) for the addition or removal of one case. Changing one case's values is two such steps: the same
    table is then (ε', δ) with ε' the ε that OpenDP gives for twice the zCDP ρ (≈ 2ε for small ε).
Mechanism
    OpenDP's ``make_count_by_categories`` (the case's cell index → a count per cell, symmetric distance to
    L2 distance) chained with ``make_gaussian`` over the vector of counts (the discrete Gaussian on integers,
    standard deviation σ). The privacy unit is one row of the stored cases, so ``d_in = 1``.
Sensitivity
    Every dimension is single-valued, so a case falls in exactly one cell (or in none, if it holds a value
    outside the domain): its addition or removal changes the vector of counts by 1 in L2. Multi-select fields
    (a case in several forms of exploitation) are refused: a case would then fall in up to ``k`` cells, the
    L2 sensitivity would be √k, and OpenDP's count-by-categories map (which does not know that the ``k``
    rows of one case go to distinct cells) would charge ``k``.
Accounting (by OpenDP, not by a formula of ours)
    ``make_zCDP_to_approxDP`` turns the chain's zero-concentrated DP (ρ = 1 / 2σ²) into a privacy profile and
    ``make_fix_delta`` fixes it at δ. σ is the smallest scale for which OpenDP's map of that measurement at
    ``d_in = 1`` gives at most (ε, δ) (found with ``dp.binary_search_param``), and the map of the full chain
    is checked again before the budget is spent; the certified ε is recorded beside the stated one.
Domain
    Which cells exist is not public, so the table is over the full cross product of each dimension's values
    that the standard lists, zeros included: code lists, countries, booleans and, for integers, the standard's
    range (a year with no upper bound runs to the current year), never the data's own span, which would
    reveal the earliest and latest case. Values outside the domain are not released (the cases holding them
    count in no cell), and every dimension gets a "not recorded" value. Clipping at zero is post-processing
    and costs nothing.
Randomness
    OpenDP draws its noise from a cryptographically secure generator that cannot be seeded, so a table cannot
    be reproduced. (A seeded generator whose seed is published would let anyone recompute the noise and
    subtract it.)
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..analyse.cases import read_cases
from ..errors import InputError, PalermoError
from ..standard import FieldType, load_standard
from ..standard.countries import country_codes
from ..store.db import Store
from ..store.export import escape_frame
from .budget import spend
from .synthetic import DEFAULT_DELTA, zcdp_rho

SINGLE_VALUED = frozenset({FieldType.PICKLIST, FieldType.COUNTRY, FieldType.INTEGER, FieldType.BOOLEAN})
MAX_CELLS = 5_000_000
CELLS_PER_CASE = 1
"""Cells one case falls in (dimensions are single-valued): the symmetric-distance ``d_in`` of one case."""
MECHANISM = "OpenDP make_count_by_categories >> make_gaussian (discrete), zCDP converted to (ε, δ) by OpenDP"


@dataclass(frozen=True)
class DPTable:
    """A released table and how it was made."""

    frame: pl.DataFrame
    dims: tuple[str, ...]
    epsilon: float
    delta: float
    sigma: float
    rho: float
    """The zero-concentrated DP ρ of the chain at one case, from OpenDP's map."""
    certified_epsilon: float
    """The ε OpenDP's map gives at ``delta`` for one case (at most ``epsilon``)."""


def _opendp() -> Any:
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _counts_space(dp: Any) -> tuple[Any, Any]:
    return dp.vector_domain(dp.atom_domain(T=dp.i64)), dp.l2_distance(T=dp.i64)


@functools.lru_cache(maxsize=64)
def calibrate_sigma(epsilon: float, delta: float) -> float:
    """The smallest σ for which OpenDP certifies (ε, δ) for a vector of counts of L2 sensitivity 1."""
    zcdp_rho(epsilon, delta)  # refuses a bad ε or δ with a readable message
    dp = _opendp()
    space = _counts_space(dp)

    def chain(scale: float) -> Any:
        return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(dp.m.make_gaussian(*space, scale=scale)), delta)

    return float(dp.binary_search_param(chain, d_in=CELLS_PER_CASE, d_out=(epsilon, delta), T=float))


def table_measurement(n_cells: int, sigma: float) -> Any:
    """OpenDP's measurement: cases' cell indices (0 … n_cells-1; others count nowhere) → noisy counts (zCDP)."""
    dp = _opendp()
    count = dp.t.make_count_by_categories(
        dp.vector_domain(dp.atom_domain(T=dp.i64)),
        dp.symmetric_distance(),
        categories=list(range(n_cells)),
        null_category=False,
        MO=dp.L2Distance[dp.i64],
        TOA=dp.i64,
    )
    return count >> dp.m.then_gaussian(scale=sigma)


def certify(measurement: Any, delta: float) -> tuple[float, float]:
    """OpenDP's (ε, δ) for one case of a zCDP measurement, converted and fixed at ``delta``."""
    dp = _opendp()
    approx = dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(measurement), delta)
    epsilon, fixed = approx.map(CELLS_PER_CASE)
    return float(epsilon), float(fixed)


def table_dimensions() -> list[tuple[str, str]]:
    """The columns a DP table may be counted by (single-valued analytical fields), with their labels."""
    return [(f.column, f.label) for f in load_standard().analytical_fields() if f.type in SINGLE_VALUED]


def _domain(cases: pl.DataFrame, column: str) -> list[object]:
    """Every value a dimension may take, from the standard (never from the data), plus 'not recorded'."""
    if column not in cases.columns:
        raise InputError(f"{column!r} is not a column of the stored cases")
    field = next((f for f in load_standard().analytical_fields() if f.column == column), None)
    if field is None or field.type not in SINGLE_VALUED:
        raise InputError(f"{column!r} cannot be a dimension of a DP table (a single-valued analytical field is needed)")
    if field.type == FieldType.PICKLIST:
        values: list[object] = list(field.code_names)
    elif field.type == FieldType.COUNTRY:
        values = list(country_codes())
    elif field.type == FieldType.BOOLEAN:
        values = [True, False]
    else:  # an integer: the standard's range; a year without an upper bound runs to the current year
        high = field.maximum
        if high is None and column.endswith("_year"):
            high = datetime.now(UTC).year
        if field.minimum is None or high is None:
            raise InputError(f"{column!r} has no range in the standard to tabulate over")
        values = list(range(math.ceil(field.minimum), math.floor(high) + 1))
    return [*values, None]


@dataclass(frozen=True)
class _Plan:
    """Everything but the noise: the cells, each case's cell, σ and OpenDP's measurement and certificate."""

    grid: pl.DataFrame
    cells: list[int]
    dims: tuple[str, ...]
    epsilon: float
    delta: float
    sigma: float
    rho: float
    certified_epsilon: float
    measurement: Any


def _plan(cases: pl.DataFrame, dims: list[str], epsilon: float, delta: float) -> _Plan:
    """Check everything and build the measurement; draws no noise (so it may run before the budget is spent)."""
    if not dims or len(set(dims)) != len(dims):
        raise InputError("give one or more distinct dimensions")
    sigma = calibrate_sigma(epsilon, delta)
    domains = {column: _domain(cases, column) for column in dims}
    n_cells = math.prod(len(values) for values in domains.values())
    if n_cells > MAX_CELLS:
        raise InputError(f"the table would have {n_cells:,} cells; choose fewer or coarser dimensions")
    grid: pl.DataFrame | None = None
    for column, values in domains.items():
        part = pl.DataFrame({column: values}, schema={column: cases.schema[column]}, strict=False)
        grid = part if grid is None else grid.join(part, how="cross", maintain_order="left_right")
    assert grid is not None
    indexed = grid.with_row_index("cell")
    located = cases.select(dims).join(indexed, on=dims, how="left", nulls_equal=True, maintain_order="left")
    cells = located.get_column("cell").cast(pl.Int64).fill_null(-1).to_list()  # -1: outside the domain
    measurement = table_measurement(grid.height, sigma)
    rho = float(measurement.map(CELLS_PER_CASE))
    certified, fixed = certify(measurement, delta)
    if certified > epsilon or fixed > delta:
        raise PalermoError(f"OpenDP does not certify (ε = {epsilon:g}, δ = {delta:g}) for σ = {sigma}: {certified}")
    return _Plan(grid, cells, tuple(dims), epsilon, delta, sigma, rho, certified, measurement)


def _draw(plan: _Plan) -> DPTable:
    """Invoke OpenDP's measurement (the only place noise is drawn) and clip at zero (post-processing)."""
    noisy = np.asarray(plan.measurement(plan.cells), dtype=np.int64)
    frame = plan.grid.with_columns(pl.Series("cases", np.clip(noisy, 0, None)))
    return DPTable(
        frame=frame, dims=plan.dims, epsilon=plan.epsilon, delta=plan.delta, sigma=plan.sigma,
        rho=plan.rho, certified_epsilon=plan.certified_epsilon,
    )


def dp_counts(
    cases: pl.DataFrame, dims: list[str], *, epsilon: float, delta: float = DEFAULT_DELTA
) -> DPTable:
    """Noisy counts of ``cases`` by ``dims`` over their full domain (every combination, zeros included).

    Spends no budget (:func:`release_dp_table` does).
    """
    return _draw(_plan(cases, dims, epsilon, delta))


def release_dp_table(
    store: Store,
    out: Path,
    dims: list[str],
    *,
    epsilon: float,
    delta: float | None = None,
    dataset: str = "all-cases",
    release: str | None = None,
    by: str = "palermo",
) -> DPTable:
    """Spend the budget, then draw the noise and write the table (CSV) and its data card (``<out>.json``)."""
    used_delta = DEFAULT_DELTA if delta is None else delta
    calibrate_sigma(epsilon, used_delta)  # refuse bad parameters before reading or spending anything
    plan = _plan(read_cases(store), dims, epsilon, used_delta)
    created = datetime.now(UTC)
    release = release or f"table-{created:%Y%m%dT%H%M%SZ}"
    parameters: dict[str, Any] = {
        "dims": dims, "mechanism": "gaussian", "library": "opendp", "sigma": plan.sigma, "rho": plan.rho,
        "certified_epsilon": plan.certified_epsilon,
    }
    spend(store, dataset, release, epsilon, used_delta, by, "table/gaussian", parameters)
    table = _draw(plan)
    out.parent.mkdir(parents=True, exist_ok=True)
    escape_frame(table.frame).write_csv(out)
    card = {
        "what": f"Differentially private counts of cases by {', '.join(dims)}, every combination listed.",
        "created_at": created.isoformat(), "release": release, "dataset": dataset,
        "epsilon": epsilon, "delta": used_delta, "privacy_unit": "one case (added or removed)",
        "mechanism": MECHANISM, "sigma": table.sigma, "rho": table.rho,
        "certified_epsilon": table.certified_epsilon, "cells": table.frame.height,
        "caveats": ["Counts are clipped at zero (post-processing); sums of cells are noisy.",
                    "Values outside the standard's lists and ranges are not released.",
                    "The noise comes from a cryptographically secure generator and cannot be reproduced."],
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return table
