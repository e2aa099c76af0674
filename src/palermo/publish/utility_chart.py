"""The chart of a release's utility report: marginal error by width, and real against released 2-way counts.

Drawn with Altair and rendered to SVG by vl-convert (:func:`palermo.reports.charts.svg`), from the report's
figures only (counts of generalised combinations, the same as the report's marginal errors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import polars as pl

from ..reports.charts import PALETTE, svg
from .utility import UtilityReport

_MAX_POINTS = 5_000
"""The scatter keeps the largest cells (by real or released count) beyond this many."""


def utility_chart(report: UtilityReport, title: str) -> alt.HConcatChart:
    """Bars of the mean MAE of counts per marginal width, beside a scatter of real vs released 2-way counts."""
    summary = report.summary().with_columns(way=pl.format("{}-way", pl.col("width")))
    bars = (
        alt.Chart(alt.Data(values=summary.select("way", "mae").to_dicts()), title="Marginal error (MAE of counts)")  # type: ignore[no-untyped-call]
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("way:N", title=None, sort=None),
            y=alt.Y("mae:Q", title="mean absolute error of counts"),
            tooltip=["way:N", alt.Tooltip("mae:Q", format=".1f")],
        )
        .properties(width=160, height=260)
    )
    cells = report.cells
    if cells.height > _MAX_POINTS:
        cells = cells.sort(pl.max_horizontal("real", "released"), descending=True).head(_MAX_POINTS)
    top = max(1, int(cells.select(pl.max_horizontal("real", "released").max()).item() or 1)) if cells.height else 1
    values: list[dict[str, Any]] = cells.to_dicts()
    scale = alt.Scale(type="symlog", domain=[0, top])
    points = (
        alt.Chart(alt.Data(values=values), title="2-way marginals: real vs released counts")  # type: ignore[no-untyped-call]
        .mark_circle(size=22, opacity=0.6)
        .encode(
            x=alt.X("real:Q", title="real count", scale=scale),
            y=alt.Y("released:Q", title="released count", scale=scale),
            color=alt.Color("columns:N", title=None, scale=alt.Scale(scheme=PALETTE), legend=None),
            tooltip=["columns:N", "real:Q", "released:Q"],
        )
    )
    diagonal = (
        alt.Chart(alt.Data(values=[{"real": 0, "released": 0}, {"real": top, "released": top}]))  # type: ignore[no-untyped-call]
        .mark_line(color="#888", strokeDash=[4, 4])
        .encode(x="real:Q", y="released:Q")
    )
    scatter = alt.layer(diagonal, points).properties(width=300, height=260)
    return alt.hconcat(bars, scatter, title=title)


def write_utility_chart(report: UtilityReport, out: Path, title: str) -> Path:
    """Write ``utility.svg`` into ``out``; returns its path."""
    path = out / "utility.svg"
    path.write_text(svg(utility_chart(report, title)), encoding="utf-8")
    return path
