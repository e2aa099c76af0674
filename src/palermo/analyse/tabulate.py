"""Shared machinery of the report's tables: the cases in DuckDB, labels beside codes, code order.

:func:`case_database` loads the frame of :func:`~palermo.analyse.cases.read_cases` into one table,
``c``, of an in-process DuckDB: one row per case, the report's short column names, multi-select fields
as lists of codes, the age group derived. Each table module runs constant SQL over it (values bound as
parameters); codes get their human label in a ``<column>_label`` column after aggregation.

Conventions shared by every table: a null dimension value means "not recorded" (its label says so) and
is kept as a row, so a table's cells add up to every case in scope; a multi-select field known to hold
no value (stored as an empty string) becomes the code :data:`NONE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cache

import duckdb
import polars as pl

from ..errors import NotFoundError
from ..standard import MULTI_SEPARATOR, load_standard
from ..standard.countries import country_name, m49_area
from ..standard.extensions import MINOR_BANDS

NOT_RECORDED = "Not recorded"
"""Label of a null dimension value."""
NONE = "None"
"""Code of a multi-select field known to hold no value (an empty string in the store)."""

CASE_COLUMNS: tuple[str, ...] = (
    "org_name",
    "org_type",
    "org_country",
    "cas_registration_year",
    "cas_data_source",
    "prs_gender",
    "vic_age_band",
    "vic_majority_status",
    "vic_country_of_exploitation",
    "prs_citizenship",
    "vic_type_of_exploitation",
    "vic_forced_labour_industry",
    "vic_methods_of_control",
    "vic_recruiter_relationship",
)
"""The columns of the cases frame the report reads."""

_MACROS = """
CREATE OR REPLACE TEMP MACRO codes(x, sep, none) AS CASE WHEN x = '' THEN [none] ELSE string_split(x, sep) END;
"""
_PREPARE = """
CREATE OR REPLACE TEMP TABLE c AS
SELECT case_no, org_name, org_type, org_country,
       CAST(cas_registration_year AS BIGINT) AS year,
       cas_data_source AS data_source,
       prs_gender AS sex,
       vic_age_band AS age_band,
       coalesce(vic_majority_status,
                CASE WHEN list_contains($minor, vic_age_band) THEN 'Minor'
                     WHEN vic_age_band IS NOT NULL THEN 'Adult' END) AS age_group,
       vic_country_of_exploitation AS country_of_exploitation,
       codes(prs_citizenship, $sep, $none) AS citizenships,
       codes(vic_type_of_exploitation, $sep, $none) AS forms,
       codes(vic_forced_labour_industry, $sep, $none) AS industries,
       codes(vic_methods_of_control, $sep, $none) AS methods,
       codes(vic_recruiter_relationship, $sep, $none) AS relationships
FROM cases_in
"""


def case_database(cases: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB holding the cases as the report reads them, in table ``c``.

    One row per case: a case number, short column names, multi-select fields as lists of codes (stored
    distinct; ``""`` becomes ``[NONE]``, null stays null), and the age group: the majority status where recorded,
    else the one the age band implies. Read from the frame's Arrow form, in one statement.
    """
    con = duckdb.connect()
    con.register("cases_in", cases.select(CASE_COLUMNS).with_row_index("case_no").to_arrow())
    con.sql(_MACROS)
    con.sql(_PREPARE, params={"minor": sorted(MINOR_BANDS), "sep": MULTI_SEPARATOR, "none": NONE})
    con.unregister("cases_in")
    return con


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, object] | None = None) -> pl.DataFrame:
    """The result of one constant SQL statement (values bound as parameters) as a polars frame."""
    relation = con.sql(sql, params=dict(params) if params is not None else None)
    frame = relation.pl()
    assert isinstance(frame, pl.DataFrame)
    return frame


@cache
def code_labels(field: str) -> dict[str, str]:
    """Code -> label of a coded field of the standard, with :data:`NONE` labelled too."""
    return {**{c.name: c.label for c in load_standard().field(field).codes}, NONE: "None"}


@cache
def code_order(field: str) -> tuple[str, ...]:
    """A coded field's codes in their published order, then :data:`NONE`."""
    return (*load_standard().field(field).code_names, NONE)


def labelled(frame: pl.DataFrame, column: str, labels: Mapping[str, str], missing: str = NOT_RECORDED) -> pl.DataFrame:
    """``frame`` with ``<column>_label`` right after ``column``: the code's label, the code itself if it has
    none, ``missing`` for null."""
    code = pl.col(column)
    label = code.replace_strict(dict(labels), default=code, return_dtype=pl.String)
    frame = frame.with_columns(pl.when(code.is_null()).then(pl.lit(missing)).otherwise(label).alias(f"{column}_label"))
    order = list(frame.columns)
    order.remove(f"{column}_label")
    order.insert(order.index(column) + 1, f"{column}_label")
    return frame.select(order)


STATELESS = "Stateless (no citizenship)"
"""Label of :data:`NONE` in a citizenship column."""


def country_labels(codes: Iterable[str | None]) -> dict[str, str]:
    """Code -> English short name of each distinct country code (a code that is no country keeps itself);
    :data:`NONE` (a citizenship known to be none) is :data:`STATELESS`."""
    names: dict[str, str] = {NONE: STATELESS}
    for code in {c for c in codes if c and c != NONE}:
        try:
            names[code] = country_name(code)
        except NotFoundError:
            names[code] = code
    return names


def with_countries(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``frame`` with a name label beside each country-code column."""
    for column in columns:
        frame = labelled(frame, column, country_labels(frame.get_column(column).to_list()))
    return frame


def m49_table(codes: Iterable[str | None]) -> pl.DataFrame:
    """``code, region, sub_region`` (UN M49; null where M49 places the country nowhere) for distinct codes."""
    rows = []
    for code in sorted({c for c in codes if c and c != NONE}):
        area = m49_area(code)
        rows.append((code, (area.region or None) if area else None, (area.sub_region or None) if area else None))
    schema = {"code": pl.String, "region": pl.String, "sub_region": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def rank(column: str, order: Sequence[str]) -> pl.Expr:
    """Sort key putting ``column``'s codes in ``order``, unknown codes after them (nulls stay null)."""
    return pl.col(column).replace_strict(
        {code: i for i, code in enumerate(order)}, default=len(order), return_dtype=pl.Int64
    )


def by_codes(frame: pl.DataFrame, *keys: tuple[str, Sequence[str] | None]) -> pl.DataFrame:
    """``frame`` sorted by each (column, code order) in turn (natural order where None), nulls last."""
    exprs: list[pl.Expr] = []
    for column, order in keys:
        exprs.extend([rank(column, order), pl.col(column)] if order is not None else [pl.col(column)])
    return frame.sort(exprs, nulls_last=True) if exprs else frame


def by_cases(frame: pl.DataFrame, *codes: str) -> pl.DataFrame:
    """Largest counts first, ties by code; rows with a null code ("not recorded") last."""
    keys = [pl.col(c).is_null() for c in codes] + [pl.col("cases")] + [pl.col(c) for c in codes]
    return frame.sort(keys, descending=[False] * len(codes) + [True] + [False] * len(codes))


def with_regions(frame: pl.DataFrame, column: str, prefix: str = "") -> pl.DataFrame:
    """``frame`` with the UN M49 region and sub-region of the country in ``column``."""
    regions = m49_table(frame.get_column(column).to_list()).rename(
        {"code": column, "region": f"{prefix}region", "sub_region": f"{prefix}sub_region"}
    )
    return frame.join(regions, on=column, how="left", maintain_order="left")
