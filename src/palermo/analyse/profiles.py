"""Forms of exploitation, labour industries (ISIC), means of control, recruiters, and sex by age band."""

from __future__ import annotations

import duckdb
import polars as pl

from .model import ResultTable
from .tabulate import by_codes, code_labels, code_order, fetch, labelled

FORMS_SECTION = "Forms of exploitation and industries"
CONTROL_SECTION = "Means of control and recruitment"
PROFILE_SECTION = "Sex and age"


def _multi_note(what: str) -> str:
    return (
        f"{what} is a multi-select field: a case with several values is counted under each, so the rows add "
        "up to more than the number of cases. 'None' means recorded as none; 'Not recorded' means unknown."
    )


_FORMS = """
SELECT form, count(*) AS cases
FROM (SELECT unnest(coalesce(forms, [NULL::VARCHAR])) AS form FROM c) GROUP BY form
"""
_INDUSTRIES = """
SELECT industry, count(*) AS cases
FROM (SELECT unnest(coalesce(industries, [NULL::VARCHAR])) AS industry FROM c) GROUP BY industry
"""
_METHODS = """
SELECT method, count(*) AS cases
FROM (SELECT unnest(coalesce(methods, [NULL::VARCHAR])) AS method FROM c) GROUP BY method
"""
_RELATIONSHIPS = """
SELECT relationship, count(*) AS cases
FROM (SELECT unnest(coalesce(relationships, [NULL::VARCHAR])) AS relationship FROM c) GROUP BY relationship
"""
_SEX_AGE = "SELECT sex, age_band, count(*) AS cases FROM c GROUP BY sex, age_band"


def _one_field(con: duckdb.DuckDBPyConnection, sql: str, column: str, field: str) -> pl.DataFrame:
    frame = by_codes(fetch(con, sql), (column, code_order(field)))
    return labelled(frame, column, code_labels(field))


def _industries(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Industry counts with the ISIC section letter (null for codes outside ISIC: illicit, other, none)."""
    frame = _one_field(con, _INDUSTRIES, "industry", "vic_ForcedLabourIndustry")
    section = pl.col("industry").str.extract(r"^([A-U])_", 1).alias("isic_section")
    return frame.with_columns(section).select("industry", "industry_label", "isic_section", "cases")


def profile_tables(con: duckdb.DuckDBPyConnection) -> list[ResultTable]:
    """Forms of exploitation, labour industries, means of control, recruiter relationship, sex by age band."""
    sex_age = by_codes(fetch(con, _SEX_AGE), ("sex", code_order("prs_Gender")), ("age_band", code_order("vic_AgeBand")))
    sex_age = labelled(labelled(sex_age, "sex", code_labels("prs_Gender")), "age_band", code_labels("vic_AgeBand"))
    return [
        ResultTable(
            name="forms_of_exploitation",
            title="Cases by form of exploitation",
            frame=_one_field(con, _FORMS, "form", "vic_TypeOfExploitation"),
            dims=("form",),
            margins=((),),
            description="Cases by form of exploitation (HTCDS vic_TypeOfExploitation). "
            + _multi_note("Form of exploitation"),
            section=FORMS_SECTION,
            notes=(_multi_note("Form of exploitation"),),
        ),
        ResultTable(
            name="labour_industries",
            title="Cases by industry of forced labour (ISIC sections)",
            frame=_industries(con),
            dims=("industry",),
            margins=((),),
            description="Cases by the industry the person was made to work in (HTCDS vic_ForcedLabourIndustry: "
            "ISIC Rev.4 sections, and illicit activities). " + _multi_note("Industry"),
            section=FORMS_SECTION,
            notes=(_multi_note("Industry"), "Counted over all cases; the industry mostly concerns forced labour."),
        ),
        ResultTable(
            name="means_of_control",
            title="Cases by means of control",
            frame=_one_field(con, _METHODS, "method", "vic_MethodsOfControl"),
            dims=("method",),
            margins=((),),
            description="Cases by the means traffickers used to control the person (HTCDS vic_MethodsOfControl). "
            + _multi_note("Means of control"),
            section=CONTROL_SECTION,
            notes=(_multi_note("Means of control"),),
        ),
        ResultTable(
            name="recruiter_relationship",
            title="Cases by relationship to the recruiter",
            frame=_one_field(con, _RELATIONSHIPS, "relationship", "vic_RecruiterRelationship"),
            dims=("relationship",),
            margins=((),),
            description="Cases by how the person knew the recruiter. " + _multi_note("Relationship to the recruiter"),
            section=CONTROL_SECTION,
            notes=(_multi_note("Relationship to the recruiter"),),
        ),
        ResultTable(
            name="sex_by_age_band",
            title="Cases by sex and age band",
            frame=sex_age,
            dims=("sex", "age_band"),
            margins=(("sex",), ("age_band",), ()),
            description="Cases by sex or gender and by age band at registration (CTDC bands).",
            section=PROFILE_SECTION,
        ),
    ]
