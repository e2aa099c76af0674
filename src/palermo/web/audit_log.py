"""The audit log in the browser, for auditors: their organisation's entries, filtered and paged; the chain's check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from .. import audit
from ..errors import InputError, PalermoError
from ..server.deps import StoreDep
from ..server.identity import Principal
from .admin import message_of, status_of
from .auth import web_role
from .templating import render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Principal, Depends(web_role("auditor"))]
"""The API's audit routes admit auditors only; so does the page."""
PAGE = 50
Text = Annotated[str, Query(max_length=200)]


def _day(value: str, label: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"the {label} date must look like 2026-01-31", column=label) from None


def _filters(actor: str, action: str, since: str, until: str) -> dict[str, Any]:
    """The library's filters from the form: ``until`` is a whole day (inclusive), in UTC."""
    first, last = _day(since, "from"), _day(until, "to")
    if first is not None and last is not None and last < first:
        raise InputError(f"the period ends ({last}) before it starts ({first})", column="to")
    return {
        "actor": actor.strip() or None,
        "action": action.strip() or None,
        "since": None if first is None else datetime.combine(first, time(), UTC),
        "until": None if last is None else datetime.combine(last + timedelta(days=1), time(), UTC),
    }


@router.get("/audit")
def audit_page(
    request: Request,
    user: Auditor,
    store: StoreDep,
    actor: Text = "",
    action: Annotated[str, Query(max_length=60)] = "",
    since: Annotated[str, Query(max_length=20)] = "",
    until: Annotated[str, Query(max_length=20)] = "",
    before: Annotated[int | None, Query(ge=1, lt=2**63)] = None,
) -> HTMLResponse:
    """The newest entries about the auditor's organisation's users, newest first, a page at a time."""
    form = {"actor": actor, "action": action, "since": since, "until": until}
    try:
        shown = audit.entries(store, limit=PAGE + 1, org=user.organisation, before=before,
                              **_filters(actor, action, since, until))
    except PalermoError as exc:
        return render(request, "audit.html.j2", status=status_of(exc), form=form, entries=[], error=message_of(exc),
                      older=None, newest="/audit" if before is not None else None, report=None)
    kept = {k: v for k, v in form.items() if v}
    older = "/audit?" + urlencode({**kept, "before": shown[PAGE - 1].id}) if len(shown) > PAGE else None
    newest = "/audit?" + urlencode(kept) if before is not None else None
    return render(request, "audit.html.j2", form=form, entries=shown[:PAGE], error=None, older=older,
                  newest=newest, report=None)


@router.get("/audit/verify")
def verify_page(request: Request, user: Auditor, store: StoreDep) -> HTMLResponse:
    """Walk the whole chain: the result alone for htmx, or the audit page with the result."""
    report = audit.verify(store)
    if request.headers.get("HX-Request") == "true":
        return render(request, "audit_verify.html.j2", report=report)
    empty = {"actor": "", "action": "", "since": "", "until": ""}
    return render(request, "audit.html.j2", form=empty, entries=audit.entries(store, limit=PAGE, org=user.organisation),
                  error=None, older=None, newest=None, report=report)
