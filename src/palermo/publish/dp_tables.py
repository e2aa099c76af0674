"""Differentially private count tables: the Gaussian mechanism on a group-by count, budget spent first.

A case changes one cell of a table over single-valued fields by one, so each table has L2 sensitivity
1; the noise is calibrated in zero-concentrated DP (ρ = 1 / 2σ²) and converted to (ε, δ) as in
:mod:`palermo.publish.synthetic`. Which cells exist is not public, so the table is over the full cross
product of each dimension's values that the standard lists (code lists, countries, years of the
data's span; rare values found only in the data are not released). Rounding and clipping at zero are
post-processing and cost nothing. Multi-select fields (a case in several cells) are refused: their
sensitivity is not 1.
"""

from __future__ import annotations

import json
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..analyse.cases import read_cases
from ..errors import InputError
from ..standard import FieldType, load_standard
from ..standard.countries import country_codes
from ..store.db import Store
from ..store.export import escape_frame
from .budget import spend
from .synthetic import DEFAULT_DELTA, zcdp_rho

SINGLE_VALUED = frozenset({FieldType.PICKLIST, FieldType.COUNTRY, FieldType.INTEGER, FieldType.BOOLEAN})


@dataclass(frozen=True)
class DPTable:
    """A released table and how it was made."""

    frame: pl.DataFrame
    dims: tuple[str, ...]
    epsilon: float
    delta: float
    sigma: float
    seed: int


def _sigma(epsilon: float, delta: float) -> float:
    """Gaussian noise for one table of L2 sensitivity 1 (ρ = 1 / 2σ²)."""
    return math.sqrt(1 / (2 * zcdp_rho(epsilon, delta)))


def _domain(cases: pl.DataFrame, column: str) -> list[object]:
    """Every value a dimension may take, from the standard (not from the data), plus 'not recorded'."""
    std = load_standard()
    field = next((f for f in std.analytical_fields() if f.column == column), None)
    if field is None or field.type not in SINGLE_VALUED:
        raise InputError(f"{column!r} cannot be a dimension of a DP table (a single-valued analytical field is needed)")
    if field.type == FieldType.PICKLIST:
        values: list[object] = list(field.code_names)
    elif field.type == FieldType.COUNTRY:
        values = list(country_codes())
    elif field.type == FieldType.BOOLEAN:
        values = [True, False]
    else:  # a year: the span of the data, which is public in any release that has years
        years = cases.get_column(column).drop_nulls()
        if years.is_empty():
            raise InputError(f"{column!r} has no values to tabulate")
        values = list(range(int(years.min()), int(years.max()) + 1))  # type: ignore[arg-type]
    return [*values, None]


def dp_counts(
    cases: pl.DataFrame, dims: list[str], *, epsilon: float, delta: float = DEFAULT_DELTA, seed: int
) -> DPTable:
    """Noisy counts of ``cases`` by ``dims`` over their full domain (every combination, zeros included)."""
    if not dims or len(set(dims)) != len(dims):
        raise InputError("give one or more distinct dimensions")
    sigma = _sigma(epsilon, delta)
    grid: pl.DataFrame | None = None
    for column in dims:
        part = pl.DataFrame({column: _domain(cases, column)}, schema={column: cases.schema[column]}, strict=False)
        grid = part if grid is None else grid.join(part, how="cross")
    assert grid is not None
    if grid.height > 5_000_000:
        raise InputError(f"the table would have {grid.height:,} cells; choose fewer or coarser dimensions")
    true = cases.group_by(dims).len("true")
    joined = grid.join(true, on=dims, how="left", nulls_equal=True).with_columns(pl.col("true").fill_null(0))
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, sigma, joined.height)
    noisy = np.clip(np.rint(joined.get_column("true").to_numpy() + noise), 0, None).astype(np.int64)
    frame = joined.drop("true").with_columns(pl.Series("cases", noisy))
    return DPTable(frame=frame, dims=tuple(dims), epsilon=epsilon, delta=delta, sigma=sigma, seed=seed)


def release_dp_table(
    store: Store,
    out: Path,
    dims: list[str],
    *,
    epsilon: float,
    delta: float | None = None,
    seed: int | None = None,
    dataset: str = "all-cases",
    release: str | None = None,
    by: str = "palermo",
) -> DPTable:
    """Spend the budget, then write the noisy table (CSV) and its data card (``<out>.json``)."""
    used_delta = DEFAULT_DELTA if delta is None else delta
    _sigma(epsilon, used_delta)  # refuse bad parameters before spending anything
    cases = read_cases(store)
    for column in dims:
        if column not in cases.columns:
            raise InputError(f"{column!r} is not a column of the stored cases")
        _domain(cases, column)
    seed = secrets.randbelow(2**31) if seed is None else seed
    created = datetime.now(UTC)
    release = release or f"table-{created:%Y%m%dT%H%M%SZ}"
    parameters: dict[str, Any] = {"dims": dims, "seed": seed, "mechanism": "gaussian"}
    spend(store, dataset, release, epsilon, used_delta, by, "table/gaussian", parameters)
    table = dp_counts(cases, dims, epsilon=epsilon, delta=used_delta, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    escape_frame(table.frame).write_csv(out)
    card = {
        "what": f"Differentially private counts of cases by {', '.join(dims)}, every combination listed.",
        "created_at": created.isoformat(), "release": release, "dataset": dataset,
        "epsilon": epsilon, "delta": used_delta, "mechanism": "Gaussian, zCDP accounting",
        "sigma": table.sigma, "seed": seed, "cells": table.frame.height,
        "caveats": ["Counts are rounded and clipped at zero (post-processing); sums of cells are noisy.",
                    "Values found only in the data, outside the standard's lists, are not released."],
    }
    out.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    return table
