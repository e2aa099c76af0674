"""The report's overview: cases, contributors, years and countries covered."""

from __future__ import annotations

import duckdb

from .model import ResultTable
from .tabulate import (
    NONE,
    by_cases,
    by_codes,
    code_labels,
    code_order,
    fetch,
    labelled,
    with_countries,
    with_regions,
)

SECTION = "Overview"
MULTI_NOTE = (
    "A person may hold several citizenships; such a case is counted under each, so the rows add up to "
    "more than the number of cases."
)

_SUMMARY = """
SELECT count(*) AS cases,
       count(DISTINCT org_name) AS contributors,
       min(year) AS first_year,
       max(year) AS last_year,
       count(DISTINCT year) AS years,
       (SELECT count(DISTINCT code) FROM (SELECT unnest(citizenships) AS code FROM c) WHERE code <> $none)
           AS citizenship_countries,
       count(DISTINCT country_of_exploitation) AS exploitation_countries
FROM c
"""
_CONTRIBUTORS = """
SELECT org_name, any_value(org_type) AS org_type, any_value(org_country) AS org_country,
       count(*) AS cases, min(year) AS first_year, max(year) AS last_year
FROM c GROUP BY org_name
"""
_CONTRIBUTOR_YEARS = "SELECT org_name, year, count(*) AS cases FROM c GROUP BY org_name, year"
_DATA_SOURCES = "SELECT data_source, count(*) AS cases FROM c GROUP BY data_source"
_CITIZENSHIPS = """
SELECT citizenship, count(*) AS cases
FROM (SELECT unnest(coalesce(citizenships, [NULL::VARCHAR])) AS citizenship FROM c)
GROUP BY citizenship
"""
_EXPLOITATION = "SELECT country_of_exploitation, count(*) AS cases FROM c GROUP BY country_of_exploitation"


def overview_tables(con: duckdb.DuckDBPyConnection) -> list[ResultTable]:
    """Summary, contributors, contributors by year, data sources, citizenships, countries of exploitation."""
    summary = fetch(con, _SUMMARY, {"none": NONE})
    contributors = with_countries(fetch(con, _CONTRIBUTORS).sort("org_name"), "org_country").select(
        "org_name", "org_type", "org_country", "org_country_label", "cases", "first_year", "last_year"
    )
    per_year = by_codes(fetch(con, _CONTRIBUTOR_YEARS), ("org_name", None), ("year", None))
    sources = by_codes(fetch(con, _DATA_SOURCES), ("data_source", code_order("cas_DataSource")))
    citizenships = with_regions(
        with_countries(by_cases(fetch(con, _CITIZENSHIPS), "citizenship"), "citizenship"), "citizenship"
    )
    exploitation = with_regions(
        with_countries(by_cases(fetch(con, _EXPLOITATION), "country_of_exploitation"), "country_of_exploitation"),
        "country_of_exploitation",
    )
    return [
        ResultTable(
            name="overview_summary",
            title="Cases, contributors, years and countries",
            frame=summary,
            dims=(),
            figures=(
                "contributors",
                "first_year",
                "last_year",
                "years",
                "citizenship_countries",
                "exploitation_countries",
            ),
            margins=(),
            description="Cases pooled from every contributor; the years of registration covered; how many "
            "distinct countries of citizenship and of exploitation are recorded.",
            section=SECTION,
        ),
        ResultTable(
            name="overview_contributors",
            title="Cases by contributor",
            frame=contributors,
            dims=("org_name",),
            figures=("first_year", "last_year"),
            margins=((),),
            description="Cases each contributing organisation holds, and the years of registration they span.",
            section=SECTION,
        ),
        ResultTable(
            name="overview_contributors_by_year",
            title="Cases by contributor and year of registration",
            frame=per_year,
            dims=("org_name", "year"),
            margins=(("org_name",), ("year",), ()),
            description="Cases by contributor and year of registration, so that a change in a trend can be "
            "told apart from a contributor joining or leaving.",
            section=SECTION,
        ),
        ResultTable(
            name="overview_data_sources",
            title="Cases by kind of data source",
            frame=labelled(sources, "data_source", code_labels("cas_DataSource")),
            dims=("data_source",),
            margins=((),),
            description="Cases by the kind of system the record comes from (case management, hotline, ...).",
            section=SECTION,
        ),
        ResultTable(
            name="overview_citizenship",
            title="Cases by citizenship",
            frame=citizenships,
            dims=("citizenship",),
            margins=((),),
            description="Cases by citizenship of the person, with its UN M49 region. " + MULTI_NOTE,
            section=SECTION,
            notes=(MULTI_NOTE,),
        ),
        ResultTable(
            name="overview_countries_of_exploitation",
            title="Cases by country of exploitation",
            frame=exploitation,
            dims=("country_of_exploitation",),
            margins=((),),
            description="Cases by country where the person was exploited, with its UN M49 region.",
            section=SECTION,
        ),
    ]
