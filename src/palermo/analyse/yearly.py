"""Trends by year of registration: all cases, and per form of exploitation, sex and age group (the report's
"Trends" section; change detection on these series lives in :mod:`.trend`)."""

from __future__ import annotations

import duckdb

from .model import ResultTable
from .tabulate import by_codes, code_labels, code_order, fetch, labelled

SECTION = "Trends"
FORMS_NOTE = (
    "Forms of exploitation are a multi-select field: a case with several forms is counted under each, so "
    "the forms of a year add up to more than its cases; the year's cases are in trends_total."
)
YEAR_NOTE = "A null year is a case whose year of registration is not recorded."
AGE_GROUP_LABELS = {"Adult": "Adult (18 or over)", "Minor": "Child (under 18)"}
"""Labels of the age group (the codes of vic_MajorityStatus)."""
AGE_GROUP_ORDER = ("Minor", "Adult")

_TOTAL = "SELECT year, count(*) AS cases FROM c GROUP BY year"
_BY_FORM = """
SELECT year, form, count(*) AS cases
FROM (SELECT year, unnest(coalesce(forms, [NULL::VARCHAR])) AS form FROM c)
GROUP BY year, form
"""
_BY_SEX = "SELECT year, sex, count(*) AS cases FROM c GROUP BY year, sex"
_BY_AGE_GROUP = "SELECT year, age_group, count(*) AS cases FROM c GROUP BY year, age_group"


def trend_tables(con: duckdb.DuckDBPyConnection) -> list[ResultTable]:
    """Cases per year, and per year by form of exploitation, by sex and by age group."""
    forms = by_codes(fetch(con, _BY_FORM), ("year", None), ("form", code_order("vic_TypeOfExploitation")))
    sexes = by_codes(fetch(con, _BY_SEX), ("year", None), ("sex", code_order("prs_Gender")))
    ages = by_codes(fetch(con, _BY_AGE_GROUP), ("year", None), ("age_group", AGE_GROUP_ORDER))
    return [
        ResultTable(
            name="trends_total",
            title="Cases by year of registration",
            frame=by_codes(fetch(con, _TOTAL), ("year", None)),
            dims=("year",),
            margins=((),),
            description="Cases registered each year, every contributor pooled.",
            section=SECTION,
            notes=(YEAR_NOTE,),
        ),
        ResultTable(
            name="trends_by_form",
            title="Cases by year and form of exploitation",
            frame=labelled(forms, "form", code_labels("vic_TypeOfExploitation")),
            dims=("year", "form"),
            margins=(("year",), ("form",), ()),
            description="Cases registered each year per form of exploitation (HTCDS vic_TypeOfExploitation). "
            + FORMS_NOTE,
            section=SECTION,
            notes=(FORMS_NOTE, YEAR_NOTE),
        ),
        ResultTable(
            name="trends_by_sex",
            title="Cases by year and sex",
            frame=labelled(sexes, "sex", code_labels("prs_Gender")),
            dims=("year", "sex"),
            margins=(("year",), ("sex",), ()),
            description="Cases registered each year by the person's sex or gender (HTCDS prs_Gender).",
            section=SECTION,
            notes=(YEAR_NOTE,),
        ),
        ResultTable(
            name="trends_by_age_group",
            title="Cases by year and age group",
            frame=labelled(ages, "age_group", AGE_GROUP_LABELS),
            dims=("year", "age_group"),
            margins=(("year",), ("age_group",), ()),
            description="Cases registered each year, children and adults: the majority status at registration "
            "where recorded, else the one the age band implies (0-8 and 9-17 are children).",
            section=SECTION,
            notes=(YEAR_NOTE,),
        ),
    ]
