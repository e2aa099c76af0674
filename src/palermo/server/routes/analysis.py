"""The threat-assessment report and linkage alerts, over what the caller's organisation may see."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from ...access.alerts import LinkAlert, linkage_alerts
from ...access.reports import assessment_for, report_filter
from ...reports.write import report_bytes
from ..deps import StoreDep, require
from ..identity import Principal

router = APIRouter(tags=["analysis"])
Analyst = Annotated[Principal, Depends(require("analyst"))]
Purpose = Annotated[str, Query(min_length=1, max_length=2000, description="Why this is read (audited).")]
MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


@router.get("/api/report", response_class=Response,
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()}}})
def report(
    caller: Analyst,
    store: StoreDep,
    purpose: Purpose,
    format: Literal["html", "pdf", "json"] = "html",
    k: Annotated[int, Query(ge=11, le=1000, description="Smallest count published.")] = 11,
    first_year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    last_year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    holder: Annotated[list[str] | None, Query(max_length=50, description="Organisations whose cases count.")] = None,
    region: Annotated[list[str] | None, Query(max_length=5, description="UN M49 regions of exploitation.")] = None,
    form: Annotated[list[str] | None, Query(max_length=20, description="Forms of exploitation (codes).")] = None,
    country: Annotated[list[str] | None, Query(max_length=50, description="Countries of exploitation.")] = None,
) -> Response:
    """The threat-assessment report of the cases the caller may see in aggregate (analysts)."""
    filters = report_filter(first_year=first_year, last_year=last_year, holders=holder, regions=region,
                            forms=form, countries=country)
    assessment = assessment_for(store, caller.organisation, actor=caller.name, purpose=purpose, filters=filters, k=k)
    return Response(report_bytes(assessment, format), media_type=MEDIA[format])


@router.get("/api/alerts", response_model=list[LinkAlert])
def alerts(caller: Analyst, store: StoreDep, purpose: Purpose) -> list[LinkAlert]:
    """Persons the caller's organisation holds whom the last linkage run found held elsewhere too (analysts)."""
    return linkage_alerts(store, caller.organisation, actor=caller.name, purpose=purpose)
