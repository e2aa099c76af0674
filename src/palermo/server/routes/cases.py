"""Case records within one's rights: a page at a time, or an export of those one may read in full."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from ...access.cases import MAX_PAGE, export_cases_frame, read_cases_page
from ..deps import StoreDep, require
from ..identity import Principal

router = APIRouter(tags=["cases"])
Reader = Annotated[Principal, Depends(require("contributor", "analyst"))]
Exporter = Annotated[Principal, Depends(require("analyst"))]
Purpose = Annotated[str, Query(min_length=1, max_length=2000, description="Why these records are read (audited).")]


class CasesResponse(BaseModel):
    """A page of cases; ``next_offset`` is null on the last page."""

    cases: list[dict[str, Any]]
    offset: int
    next_offset: int | None


@router.get("/api/cases")
def cases(
    caller: Reader,
    store: StoreDep,
    purpose: Purpose,
    holder: Annotated[str | None, Query(max_length=200, description="Only this organisation's cases.")] = None,
    first_year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    last_year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    identifying: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> CasesResponse:
    """Cases the caller's organisation holds or was granted at record level (contributors and analysts)."""
    page = read_cases_page(
        store, caller.organisation, actor=caller.name, purpose=purpose, holder=holder, first_year=first_year,
        last_year=last_year, identifying=identifying, limit=limit, offset=offset,
    )
    return CasesResponse(cases=page.cases, offset=page.offset, next_offset=page.next_offset)


@router.get("/api/exports/cases.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_cases(
    caller: Exporter,
    store: StoreDep,
    purpose: Purpose,
    holder: Annotated[str | None, Query(max_length=200)] = None,
    identifying: bool = False,
) -> Response:
    """CSV of the cases the caller's organisation may read in full (analysts); formulas escaped."""
    frame = export_cases_frame(
        store, caller.organisation, actor=caller.name, purpose=purpose, holder=holder, identifying=identifying
    )
    return Response(
        frame.write_csv(), media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="cases.csv"'},
    )
