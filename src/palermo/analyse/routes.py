"""Routes: citizenship -> country of exploitation, classified domestic / intraregional / transregional.

A route joins a citizenship of the person to the country where the person was exploited. It is
*domestic* when the person was exploited in a country of citizenship, *intraregional* when both
countries lie in the same UN M49 region, *transregional* otherwise. UNODC's Global Report on
Trafficking in Persons (GLOTIP) calls a flow intraregional when origin and destination lie in the same
region, and reports separately the part within the same subregion; it uses its own grouping of
countries, not M49. palermo follows the issue's M49 regions for the three-way type and keeps the
sub-region distinction in a finer *scope* (domestic, same sub-region, other sub-region of the region,
other region), so either reading can be published. A case whose citizenships give several routes takes
its closest one in the case-level tables; corridors count it under each route.
"""

from __future__ import annotations

import duckdb
import polars as pl

from .model import ResultTable
from .tabulate import by_cases, by_codes, fetch, labelled, m49_table, with_countries, with_regions

SECTION = "Routes"
SCOPES = ("domestic", "same_subregion", "other_subregion", "other_region")
"""Route scopes, closest first; the SQL below numbers them 0-3 in this order."""
FLOW_TYPES = {
    "domestic": "domestic",
    "same_subregion": "intraregional",
    "other_subregion": "intraregional",
    "other_region": "transregional",
}
FLOW_TYPE_ORDER = ("domestic", "intraregional", "transregional")
FLOW_TYPE_LABELS = {"domestic": "Domestic", "intraregional": "Intraregional", "transregional": "Transregional"}
SCOPE_LABELS = {
    "domestic": "Domestic (exploited in a country of citizenship)",
    "same_subregion": "Same M49 sub-region",
    "other_subregion": "Other sub-region of the same M49 region",
    "other_region": "Other M49 region",
}
UNCLASSIFIED = "Not classified"
DEFINITION_NOTE = (
    "Domestic: exploited in a country of citizenship. Intraregional: citizen of another country of the same "
    "UN M49 region (flow_scope tells the same sub-region from another one). Transregional: citizen of a country "
    "of another M49 region. GLOTIP uses its own regions (it joins the Middle East to North Africa, for one), so "
    "a route such as South-eastern Asia to Western Asia, intraregional here, is transregional there; "
    "flow_scope shows it as another sub-region."
)
CASE_NOTE = (
    "Each case is counted once, by its closest route (domestic before intraregional before transregional) "
    "when the person has several citizenships. Not classified: citizenship or country of exploitation not "
    "recorded, a stateless person, or a country M49 places in no region."
)
CORRIDOR_NOTE = (
    "A person with several citizenships has a route from each, so such a case is counted in each corridor. "
    "Only cases with both a citizenship and a country of exploitation recorded appear."
)

_CODES = """
SELECT DISTINCT code FROM (
    SELECT unnest(citizenships) AS code FROM c
    UNION ALL SELECT country_of_exploitation FROM c
) WHERE code IS NOT NULL
"""
_PAIRS = """
CREATE OR REPLACE TEMP TABLE pairs AS
SELECT p.case_no, p.year, p.citizenship, p.country_of_exploitation,
       CASE WHEN p.citizenship = p.country_of_exploitation THEN 0
            WHEN o.region IS NULL OR d.region IS NULL THEN NULL
            WHEN o.region = d.region AND o.sub_region = d.sub_region THEN 1
            WHEN o.region = d.region THEN 2
            ELSE 3 END AS scope
FROM (SELECT case_no, year, country_of_exploitation, unnest(citizenships) AS citizenship
      FROM c WHERE country_of_exploitation IS NOT NULL) AS p
LEFT JOIN m49 AS o ON o.code = p.citizenship
LEFT JOIN m49 AS d ON d.code = p.country_of_exploitation
"""
_CASE_SCOPES = """
CREATE OR REPLACE TEMP TABLE case_scopes AS
SELECT case_no, c.country_of_exploitation, s.scope
FROM c LEFT JOIN (SELECT case_no, min(scope) AS scope FROM pairs GROUP BY case_no) AS s USING (case_no)
"""
_FLOW_TYPES = "SELECT scope, count(*) AS cases FROM case_scopes GROUP BY scope"
_BY_REGION = """
SELECT d.region, s.scope, count(*) AS cases
FROM case_scopes AS s LEFT JOIN m49 AS d ON d.code = s.country_of_exploitation
GROUP BY d.region, s.scope
"""
_CORRIDORS = """
SELECT citizenship, country_of_exploitation, count(*) AS cases, any_value(scope) AS scope
FROM pairs GROUP BY citizenship, country_of_exploitation
"""
_NEW_CORRIDORS = """
WITH latest AS (
    SELECT citizenship, country_of_exploitation, count(*) AS cases, any_value(scope) AS scope
    FROM pairs WHERE year = $latest GROUP BY citizenship, country_of_exploitation
), earlier AS (
    SELECT DISTINCT citizenship, country_of_exploitation FROM pairs WHERE year < $latest OR year IS NULL
)
SELECT l.* FROM latest AS l
WHERE NOT EXISTS (SELECT 1 FROM earlier AS e
                  WHERE e.citizenship = l.citizenship AND e.country_of_exploitation = l.country_of_exploitation)
"""
_LATEST = "SELECT max(year) AS latest FROM c"


def _with_types(frame: pl.DataFrame) -> pl.DataFrame:
    """Replace the numbered ``scope`` by ``flow_type`` and ``flow_scope`` codes."""
    scope = pl.col("scope").replace_strict(dict(enumerate(SCOPES)), default=None, return_dtype=pl.String)
    frame = frame.with_columns(scope.alias("flow_scope")).drop("scope")
    return frame.with_columns(
        pl.col("flow_scope").replace_strict(FLOW_TYPES, default=None, return_dtype=pl.String).alias("flow_type")
    )


def _flow_labels(frame: pl.DataFrame) -> pl.DataFrame:
    frame = labelled(frame, "flow_type", FLOW_TYPE_LABELS, UNCLASSIFIED)
    return labelled(frame, "flow_scope", SCOPE_LABELS, UNCLASSIFIED)


def _corridors(frame: pl.DataFrame) -> pl.DataFrame:
    """Corridor counts with country names, flow type and scope, and both countries' M49 areas."""
    frame = _with_types(by_cases(frame, "citizenship", "country_of_exploitation"))
    frame = with_countries(frame, "citizenship", "country_of_exploitation")
    frame = with_regions(with_regions(frame, "citizenship", "citizenship_"), "country_of_exploitation", "exploitation_")
    return _flow_labels(
        frame.select(
            "citizenship",
            "citizenship_label",
            "country_of_exploitation",
            "country_of_exploitation_label",
            "cases",
            "flow_type",
            "flow_scope",
            "citizenship_region",
            "citizenship_sub_region",
            "exploitation_region",
            "exploitation_sub_region",
        )
    )


def latest_year(con: duckdb.DuckDBPyConnection) -> int | None:
    """The last year of registration among the cases (None when no case has one)."""
    value = fetch(con, _LATEST).item()
    return None if value is None else int(value)


def route_tables(con: duckdb.DuckDBPyConnection, *, latest_period: int | None = None) -> list[ResultTable]:
    """Route types per case, route types by region of exploitation, corridors, corridors new in the latest year.

    ``latest_period`` is the year whose new corridors are listed (default: the last year of registration).
    """
    codes = fetch(con, _CODES).get_column("code").to_list()
    con.register("m49", m49_table(codes).to_arrow())
    con.sql(_PAIRS)
    con.sql(_CASE_SCOPES)
    latest = latest_period if latest_period is not None else latest_year(con)
    types = by_codes(_with_types(fetch(con, _FLOW_TYPES)), ("flow_type", FLOW_TYPE_ORDER), ("flow_scope", SCOPES))
    regions = _with_types(fetch(con, _BY_REGION)).group_by("region", "flow_type").agg(pl.col("cases").sum())
    regions = by_codes(regions, ("region", None), ("flow_type", FLOW_TYPE_ORDER))
    new = _corridors(fetch(con, _NEW_CORRIDORS, {"latest": latest}))
    period = str(latest) if latest is not None else "the latest year"
    new_note = (
        f"A corridor is new when it has cases registered in {period} and none registered earlier nor among cases "
        f"without a year of registration (they might be earlier); cases registered after {period} are left out. "
        "The cells count the corridor's cases of that year; when it is the last year they equal the corridor's "
        "cells in routes_corridors, so both tables must be suppressed alike."
    )
    return [
        ResultTable(
            name="routes_flow_types",
            title="Cases by type of route",
            frame=_flow_labels(types.select("flow_type", "flow_scope", "cases")),
            dims=("flow_type", "flow_scope"),
            margins=(("flow_type",), ()),
            description="Cases by route from citizenship to country of exploitation: domestic, intraregional, "
            "transregional (UN M49 regions), with the sub-region detail.",
            section=SECTION,
            notes=(DEFINITION_NOTE, CASE_NOTE),
        ),
        ResultTable(
            name="routes_by_region",
            title="Cases by region of exploitation and type of route",
            frame=labelled(regions.select("region", "flow_type", "cases"), "flow_type", FLOW_TYPE_LABELS, UNCLASSIFIED),
            dims=("region", "flow_type"),
            margins=(("region",), ("flow_type",), ()),
            description="Where victims exploited in each UN M49 region come from: their own country, the same "
            "region, or another region. A null region: country of exploitation not recorded (or in no M49 region).",
            section=SECTION,
            notes=(DEFINITION_NOTE, CASE_NOTE),
        ),
        ResultTable(
            name="routes_corridors",
            title="Corridors: citizenship to country of exploitation",
            frame=_corridors(fetch(con, _CORRIDORS)),
            dims=("citizenship", "country_of_exploitation"),
            margins=(("citizenship",), ("country_of_exploitation",), ()),
            description="Cases per corridor from a country of citizenship to a country of exploitation, "
            "largest first (the top corridors head the table).",
            section=SECTION,
            notes=(CORRIDOR_NOTE, DEFINITION_NOTE),
        ),
        ResultTable(
            name="routes_new_corridors",
            title=f"Corridors new in {period}",
            frame=new,
            dims=("citizenship", "country_of_exploitation"),
            margins=(),
            description=f"Corridors with cases registered in {period} and in no earlier period.",
            section=SECTION,
            notes=(new_note, CORRIDOR_NOTE),
        ),
    ]
