"""Read the analytical case fields out of the store as one Arrow-backed polars frame, and filter them.

Analysis never reads ``person_identity``: this module selects from ``case_record`` only. The read is
one constant SQL statement through ADBC (Arrow straight from SQLite, in a child process, see
:mod:`palermo.store.sqlite_worker`, or from PostgreSQL; no Python rows);
filters given by users are applied afterwards in polars, so no value from input reaches SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import BigInteger, Boolean, Date, Float, Integer, String, Text, select
from sqlalchemy.sql import Select

from ..standard import MULTI_SEPARATOR
from ..standard.countries import m49_region
from ..store.arrow_read import read_arrow
from ..store.db import Store
from ..store.schema import case_record, organisation

ANALYTICAL = [c for c in case_record.c if c.name not in {"extra"}]


def _query() -> Select[tuple[object, ...]]:
    return select(
        *ANALYTICAL,
        organisation.c.name.label("org_name"),
        organisation.c.type.label("org_type"),
        organisation.c.country.label("org_country"),
    ).select_from(case_record.join(organisation, organisation.c.id == case_record.c.org_id))


def read_cases(store: Store) -> pl.DataFrame:
    """Every stored case's analytical fields and its organisation's name, type and country."""
    frame = read_arrow(store, _query())
    return frame.with_columns(_canonical(name, dtype) for name, dtype in frame.schema.items())


def _canonical(name: str, dtype: pl.DataType) -> pl.Expr:
    """One column in the same type on every backend (SQLite returns dates as text, booleans as 0/1)."""
    column = case_record.c.get(name)
    wanted = _DTYPES.get(type(column.type)) if column is not None else None
    if wanted is None or dtype == wanted:
        return pl.col(name)
    if wanted == pl.Date() and dtype == pl.String():
        return pl.col(name).str.to_date("%Y-%m-%d", strict=False)
    return pl.col(name).cast(wanted)


_DTYPES: dict[type, pl.DataType] = {
    Date: pl.Date(),
    Boolean: pl.Boolean(),
    Integer: pl.Int64(),
    BigInteger: pl.Int64(),
    Float: pl.Float64(),
    Text: pl.String(),
    String: pl.String(),
}


REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")
"""The UN M49 regions a filter may name."""


@dataclass(frozen=True)
class CaseFilter:
    """Which cases an analysis covers; None means no restriction."""

    first_year: int | None = None
    last_year: int | None = None
    regions: tuple[str, ...] | None = None
    """UN M49 regions of the country of exploitation (Africa, Americas, Asia, Europe, Oceania)."""
    contributors: tuple[str, ...] | None = None
    forms: tuple[str, ...] | None = None
    """Codes of vic_TypeOfExploitation; a case matches if it has any of them."""
    countries: tuple[str, ...] | None = None
    """ISO 3166-1 alpha-2 codes of the country of exploitation."""

    def apply(self, cases: pl.DataFrame) -> pl.DataFrame:
        """The cases that pass the filter."""
        keep = pl.lit(True)
        year = pl.col("cas_registration_year")
        if self.first_year is not None:
            keep &= year >= self.first_year
        if self.last_year is not None:
            keep &= year <= self.last_year
        if self.contributors is not None:
            keep &= pl.col("org_name").is_in(list(self.contributors))
        if self.regions is not None:
            countries = cases.get_column("vic_country_of_exploitation").drop_nulls().unique().to_list()
            inside = [c for c in countries if m49_region(c) in self.regions]
            keep &= pl.col("vic_country_of_exploitation").is_in(inside)
        if self.countries is not None:
            keep &= pl.col("vic_country_of_exploitation").is_in(list(self.countries))
        if self.forms is not None:
            keep &= (
                pl.col("vic_type_of_exploitation")
                .str.split(MULTI_SEPARATOR)
                .list.eval(pl.element().is_in(list(self.forms)))
                .list.any()
                .fill_null(False)
            )
        return cases.filter(keep)
