"""The threat-assessment dashboard: headline figures, trends, routes and a map, filtered, and the report files.

Every read goes through :func:`palermo.access.reports.assessment_for` (the call behind ``GET /api/report``),
so the page counts only what the sharing agreements let the organisation see in aggregate, suppresses
counts below k exactly as the report does and is audited with the purpose the analyst states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..access.reports import assessment_for, filter_choices, report_filter
from ..analyse.cases import CaseFilter
from ..analyse.model import ResultTable
from ..errors import InputError
from ..reports.assessment import Assessment
from ..reports.html import TableView, view
from ..reports.write import report_bytes
from ..server.deps import StoreDep
from ..server.identity import Principal
from .auth import web_role
from .templating import render

router = APIRouter(include_in_schema=False)
AnalystUser = Annotated[Principal, Depends(web_role("analyst"))]
"""The same role as ``GET /api/report``."""
Text = Annotated[str, Query(max_length=2000)]
Many = Annotated[list[str] | None, Query(max_length=50)]
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Routes", ("routes_corridors", "overview_countries_of_exploitation")),
    ("Trends", ("trends_total", "trends_by_form")),
    ("Forms of exploitation", ("forms_of_exploitation", "means_of_control")),
)
"""The dashboard's sections and the report tables (with their charts) each shows."""
TABLE_ROWS = 15


@dataclass(frozen=True)
class Asked:
    """The filters as the analyst gave them (strings, for the form), checked on use."""

    purpose: str = ""
    first_year: str = ""
    last_year: str = ""
    k: str = "11"
    holders: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()
    country: str = ""

    def filters(self) -> CaseFilter:
        """The case filter, every value checked by the same library call as the API's."""
        return report_filter(
            first_year=_number(self.first_year, "the first year", 1900, 2200),
            last_year=_number(self.last_year, "the last year", 1900, 2200),
            holders=self.holders, regions=self.regions, forms=self.forms,
            countries=[self.country] if self.country else None,
        )

    def threshold(self) -> int:
        """The smallest count published (11 or more, as the API allows)."""
        value = _number(self.k, "the smallest count shown", 11, 1000)
        return 11 if value is None else value

    def query(self) -> str:
        """The query string that asks for the same again (the report downloads)."""
        pairs: list[tuple[str, str]] = [("purpose", self.purpose), ("first_year", self.first_year),
                                        ("last_year", self.last_year), ("k", self.k), ("country", self.country)]
        pairs += [("holder", h) for h in self.holders] + [("region", r) for r in self.regions]
        pairs += [("form", f) for f in self.forms]
        return urlencode([(name, value) for name, value in pairs if value])


def _number(text: str, what: str, low: int, high: int) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise InputError(f"{what} must be a whole number from {low} to {high}")
    return int(text)


def asked(
    purpose: Text = "", first_year: Text = "", last_year: Text = "", k: Text = "11", holder: Many = None,
    region: Many = None, form: Many = None, country: Text = "",
) -> Asked:
    """The filters of the query string."""
    return Asked(purpose=purpose.strip(), first_year=first_year.strip(), last_year=last_year.strip(),
                 k=k.strip() or "11", holders=tuple(holder or ()), regions=tuple(region or ()),
                 forms=tuple(form or ()), country=country.strip())


AskedDep = Annotated[Asked, Depends(asked)]


@dataclass(frozen=True)
class Panel:
    """One chart of the dashboard and the published table it is drawn from."""

    title: str
    svg: str | None
    table: TableView
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Dashboard:
    """What the results region shows of an assessment."""

    scope: str
    k: int
    cases: int | None
    figures: dict[str, Any]
    sections: list[tuple[str, list[Panel]]]


def _shown(table: ResultTable) -> TableView:
    """The report's view of the table (suppressed counts marked), its first rows."""
    full = view(table)
    return TableView(headers=full.headers, rows=full.rows[:TABLE_ROWS],
                     more=max(0, table.frame.height - TABLE_ROWS))


def dashboard(assessment: Assessment) -> Dashboard:
    """The headline figures and the panels of the dashboard, from the published (suppressed) tables."""
    tables = {t.name: t for t in assessment.tables()}
    svgs = {c.table: c.svg for s in assessment.sections for c in s.charts}
    summary = tables.get("overview_summary")
    figures = summary.frame.row(0, named=True) if summary is not None and summary.frame.height else {}
    sections = []
    for heading, names in PANELS:
        panels = [Panel(tables[n].title, svgs.get(n), _shown(tables[n]), tables[n].notes)
                  for n in names if n in tables and tables[n].frame.height]
        if panels:
            sections.append((heading, panels))
    return Dashboard(scope=assessment.scope, k=assessment.k, cases=assessment.cases_in_scope, figures=figures,
                     sections=sections)


@router.get("/analysis")
def analysis_page(request: Request, user: AnalystUser, store: StoreDep, wanted: AskedDep) -> HTMLResponse:
    """The dashboard: the filters, and (once a purpose is given) the assessment they select; audited."""
    board: Dashboard | None = None
    error = None
    if wanted.purpose:
        try:
            assessment = assessment_for(store, user.organisation, actor=user.name, purpose=wanted.purpose,
                                        filters=wanted.filters(), k=wanted.threshold())
            board = dashboard(assessment)
        except InputError as exc:
            error = exc.message
    partial = request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"
    status = 422 if error and not partial else 200  # htmx swaps only successful answers
    response = render(
        request, "analysis_results.html.j2" if partial else "analysis.html.j2", status=status, asked=wanted,
        board=board, error=error, choices=filter_choices(store, user.organisation), query=wanted.query(),
    )
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/analysis/report.{format}")
def download(user: AnalystUser, store: StoreDep, wanted: AskedDep, format: Literal["html", "pdf"]) -> Response:
    """The report file for the same filters, by the same calls as ``GET /api/report``; audited."""
    if not wanted.purpose:
        raise InputError("say why you are downloading the report: the purpose is recorded in the audit log")
    assessment = assessment_for(store, user.organisation, actor=user.name, purpose=wanted.purpose,
                                filters=wanted.filters(), k=wanted.threshold())
    return Response(report_bytes(assessment, format), media_type=MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="palermo-report.{format}"',
                             "Cache-Control": "no-store"})
