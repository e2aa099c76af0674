"""Yearly case counts per series (a corridor, a form of exploitation, a country, a region), zero-filled.

Change detection and forecasting both start from one tidy frame ``kind, series, year, count`` with a
row for every year of the grid, so a year without cases is a 0, not a missing row. Built in polars:
one ``group_by`` per kind, no Python loop over cases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from ..standard import MULTI_SEPARATOR
from ..standard.countries import m49_region

YEAR = "cas_registration_year"
COUNTRY = "vic_country_of_exploitation"
CITIZENSHIP = "prs_citizenship"
FORM = "vic_type_of_exploitation"
ARROW = " → "
"""Joins citizenship and country of exploitation in a corridor's name: ``UA → PL``."""


def _region_of(cases: pl.DataFrame) -> pl.Expr:
    countries = cases.get_column(COUNTRY).drop_nulls().unique().to_list()
    mapping = {c: m49_region(c) for c in countries}
    return pl.col(COUNTRY).replace_strict(mapping, default=None, return_dtype=pl.String)


def _corridor(_: pl.DataFrame) -> pl.Expr:
    return pl.concat_str(pl.col(CITIZENSHIP), pl.lit(ARROW), pl.col(COUNTRY))


def _form(_: pl.DataFrame) -> pl.Expr:
    return pl.col(FORM).str.split(MULTI_SEPARATOR).list.unique()


SERIES: dict[str, Callable[[pl.DataFrame], pl.Expr]] = {
    "corridor": _corridor,
    "form": _form,
    "country": lambda _: pl.col(COUNTRY),
    "citizenship": lambda _: pl.col(CITIZENSHIP),
    "region": _region_of,
    "total": lambda _: pl.lit("all cases"),
}
"""Each kind of series and the expression naming a case's series (a list for multi-select forms)."""


def yearly_counts(
    cases: pl.DataFrame, kinds: Sequence[str], *, first: int | None = None, last: int | None = None
) -> pl.DataFrame:
    """Cases per ``kind, series, year`` for every year from ``first`` to ``last`` (default: the data's range).

    A case with several forms counts once in each; cases whose series is unknown (no country, no
    form) are left out of that kind. Every series seen in the range gets a row for every year (0 if none).
    """
    unknown = [k for k in kinds if k not in SERIES]
    if unknown:
        raise ValueError(f"unknown kinds of series {unknown}; known: {sorted(SERIES)}")
    years = cases.get_column(YEAR).drop_nulls()
    schema = {"kind": pl.String, "series": pl.String, "year": pl.Int64, "count": pl.Int64}
    if years.is_empty() and (first is None or last is None):
        return pl.DataFrame(schema=schema)
    first = int(years.min()) if first is None else first  # type: ignore[arg-type]
    last = int(years.max()) if last is None else last  # type: ignore[arg-type]
    # Count the distinct combinations once; each kind then works on thousands of rows, not millions.
    within = (
        cases.lazy()
        .select(pl.col(YEAR).cast(pl.Int64).alias("year"), COUNTRY, CITIZENSHIP, FORM)
        .filter(pl.col("year").is_between(first, last))
        .group_by("year", COUNTRY, CITIZENSHIP, FORM)
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .collect()
    )
    grid = pl.DataFrame({"year": pl.int_range(first, last + 1, eager=True, dtype=pl.Int64)})
    parts: list[pl.DataFrame] = []
    for kind in kinds:
        named = within.select("year", "n", SERIES[kind](within).alias("series"))
        if named.schema["series"] == pl.List(pl.String):
            named = named.explode("series")
        counted = (
            named.filter(pl.col("series").is_not_null() & (pl.col("series") != ""))
            .group_by("series", "year")
            .agg(pl.col("n").sum().alias("count"))
        )
        full = (
            counted.select("series").unique().join(grid, how="cross")
            .join(counted, on=["series", "year"], how="left")
            .with_columns(pl.col("count").fill_null(0), pl.lit(kind).alias("kind"))
        )
        parts.append(full.select(list(schema)))
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).sort("kind", "series", "year")
