"""Render an assessment as one self-contained HTML page (charts inline as SVG, no external resource)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jinja2

from ..analyse.model import ResultTable
from .assessment import Assessment

HIDDEN = frozenset({
    "citizenship_region", "citizenship_sub_region", "exploitation_region", "exploitation_sub_region",
    "flow_scope", "trend", "method", "alpha", "victims_low", "victims_high", "prosecuted_low",
    "prosecuted_high", "convicted_low", "convicted_high", "mase_naive", "isic_section",
})
"""Detail columns left to the CSV and JSON files, so that tables fit a printed page."""
MAX_COLUMNS = 9
MAX_ROWS = 40
"""Rows of a table shown in the page; the files of the report hold them all."""
SUPPRESSED = "–"


@dataclass(frozen=True)
class Header:
    """A column heading."""

    title: str
    numeric: bool


@dataclass(frozen=True)
class Cell:
    """A formatted cell."""

    text: str
    css: str = ""


@dataclass(frozen=True)
class TableView:
    """What the template prints of a table."""

    headers: list[Header]
    rows: list[list[Cell]]
    more: int


def _columns(table: ResultTable) -> list[str]:
    """Columns worth showing: labels instead of codes, no suppression flags."""
    frame = table.frame
    shown = []
    for column in frame.columns:
        if column.endswith("_suppressed") or column in HIDDEN:
            continue
        if f"{column}_label" in frame.columns:
            continue
        shown.append(column)
    return shown[:MAX_COLUMNS]


def _title(column: str) -> str:
    return column.removesuffix("_label").replace("_", " ")


def _format(value: object, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if column.endswith("share") or column.startswith("share"):
            return f"{value:.0%}"
        if column in {"p_value", "q_value"}:
            return f"{value:.3g}"
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool) and column not in {"year", "first_year", "last_year"}:
        return f"{value:,}"
    return str(value)


def view(table: ResultTable) -> TableView:
    """The table as headers and formatted rows, suppressed counts marked."""
    frame = table.frame
    columns = _columns(table)
    numeric = {c for c, t in frame.schema.items() if t.is_numeric()}
    headers = [Header(_title(c), c in numeric and c not in {"year"}) for c in columns]
    rows = []
    for record in frame.head(MAX_ROWS).iter_rows(named=True):
        cells = []
        for c in columns:
            if c in table.counts and record.get(f"{c}_suppressed"):
                cells.append(Cell(SUPPRESSED, "sup"))
            else:
                cells.append(Cell(_format(record[c], c), "num" if c in numeric else ""))
        rows.append(cells)
    return TableView(headers=headers, rows=rows, more=max(0, frame.height - MAX_ROWS))


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("palermo.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def render_html(assessment: Assessment) -> str:
    """The report as an HTML document."""
    return _template().render(a=assessment, view=view)
