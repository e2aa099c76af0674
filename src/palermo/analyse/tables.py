"""The threat assessment's tables: every section of the report as :class:`ResultTable` objects.

Counts are computed in DuckDB over the Arrow form of the cases frame (see :mod:`.tabulate`); coverage
shares in polars. Margins name the totals a reader can get beside each table's cells (in it or in
another table of the report), so that disclosure control can protect suppressed cells against
differencing; they are declared generously, since protecting a margin that is not published only costs
some detail, while missing one leaks a cell.
"""

from __future__ import annotations

import polars as pl

from .coverage import coverage_tables
from .model import ResultTable
from .overview import overview_tables
from .profiles import profile_tables
from .routes import route_tables
from .tabulate import CASE_COLUMNS, case_database
from .yearly import trend_tables

__all__ = ["CASE_COLUMNS", "assessment_tables"]


def assessment_tables(cases: pl.DataFrame, *, latest_period: int | None = None) -> list[ResultTable]:
    """The report's tables, section by section: overview, trends, routes, forms and industries, means of
    control and recruiters, sex by age band, data coverage.

    ``cases`` is a frame like :func:`~palermo.analyse.cases.read_cases` returns (already filtered, if at
    all); ``latest_period`` is the year whose new corridors are listed (default: the last year recorded).
    """
    con = case_database(cases)
    try:
        return [
            *overview_tables(con),
            *trend_tables(con),
            *route_tables(con, latest_period=latest_period),
            *profile_tables(con),
            *coverage_tables(cases),
        ]
    finally:
        con.close()
