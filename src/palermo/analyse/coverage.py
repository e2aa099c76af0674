"""Data coverage: how often each field the report uses is missing, per contributor and overall.

Shares, not counts: published as they are (no small-cell suppression), so readers know how far to trust
each figure. Missing means not recorded (null); a multi-select field recorded as none is not missing.
"""

from __future__ import annotations

import polars as pl

from ..standard import load_standard
from .model import ResultTable

SECTION = "Data coverage"
FIELDS: tuple[str, ...] = (
    "cas_RegistrationYear",
    "cas_DataSource",
    "prs_Gender",
    "vic_AgeBand",
    "vic_MajorityStatus",
    "prs_Citizenship",
    "vic_CountryOfExploitation",
    "vic_TypeOfExploitation",
    "vic_ForcedLabourIndustry",
    "vic_MethodsOfControl",
    "vic_RecruiterRelationship",
)
"""The fields behind the report's tables, in the order the report uses them."""
NOTE = "Share of cases in which the field is not recorded (0 = always recorded, 1 = never)."


def _fields() -> pl.DataFrame:
    std = load_standard()
    return pl.DataFrame(
        {
            "field": list(FIELDS),
            "field_label": [std.field(f).label for f in FIELDS],
            "column": [std.field(f).column for f in FIELDS],
        }
    )


def _long(wide: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """One row per (keys, field) from one column per field."""
    fields = _fields()
    long = wide.unpivot(
        index=keys, on=fields.get_column("column").to_list(), variable_name="column", value_name="missing_share"
    )
    long = long.join(fields, on="column", how="left").with_columns(
        pl.col("field").replace_strict({f: i for i, f in enumerate(FIELDS)}, return_dtype=pl.Int64).alias("order")
    )
    return long.sort([*keys, "order"]).select(*keys, "field", "field_label", "missing_share")


def coverage_tables(cases: pl.DataFrame) -> list[ResultTable]:
    """Share of cases missing each field, per contributor and over all contributors."""
    columns = _fields().get_column("column").to_list()
    missing = [pl.col(c).is_null().mean().cast(pl.Float64).alias(c) for c in columns]
    per_org = cases.group_by("org_name").agg(missing)
    return [
        ResultTable(
            name="coverage_by_contributor",
            title="Missing values by contributor",
            frame=_long(per_org, ["org_name"]),
            dims=("org_name", "field"),
            counts=(),
            figures=("missing_share",),
            margins=(),
            description="For each contributor, the share of its cases in which each field the report uses is "
            "not recorded.",
            section=SECTION,
            notes=(NOTE,),
        ),
        ResultTable(
            name="coverage_overall",
            title="Missing values, all contributors",
            frame=_long(cases.select(missing), []).filter(pl.lit(cases.height > 0)),
            dims=("field",),
            counts=(),
            figures=("missing_share",),
            margins=(),
            description="The share of all pooled cases in which each field the report uses is not recorded.",
            section=SECTION,
            notes=(NOTE,),
        ),
    ]
