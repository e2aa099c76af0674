"""Hit/no-hit in the browser: ask whether a partner holds someone, and the holder's inbox of notices.

The pages call what ``/api/hits``, ``/api/inbox`` and ``/api/notices/{id}/decision`` call
(:mod:`palermo.link.hits`), with the same roles: contributors and analysts ask, every role reads its
organisation's inbox, analysts and admins decide.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import InputError, NotFoundError, PalermoError, PermissionDeniedError
from ..link.hits import PERSON_THRESHOLD, Notice, ask, decide, inbox
from ..server.deps import StoreDep
from ..store.orgs import get_organisation
from .auth import FormUser, WebUser
from .templating import render

router = APIRouter(include_in_schema=False)
ASKERS = ("contributor", "analyst")
"""Roles that may ask (as the API's ``Asker``)."""
DECIDERS = ("analyst", "admin")
"""Roles that may disclose or decline (as the API's ``Decider``)."""
IDENTIFIERS = {"phone": "Phone number", "email": "E-mail address", "document": "Passport or identity number",
               "bank_account": "Bank account or IBAN"}
PERSON_FIELDS = ("given_name", "family_name", "birth_date", "birth_year", "sex", "citizenship")
Text = Annotated[str, Form(max_length=2000)]


def _status(exc: PalermoError) -> int:
    from ..server.app import STATUS  # the API's status of each error (imported late: the app imports the pages)

    return next((STATUS[k] for k in type(exc).__mro__ if k in STATUS), 400)


def _search(
    request: Request, store: StoreDep, user: WebUser, status: int = 200, form: dict[str, str] | None = None,
    **context: object,
) -> HTMLResponse:
    """The search page; a phone's country defaults to the organisation's."""
    form = dict(form or {})
    form["region"] = form.get("region") or get_organisation(store, user.organisation).country
    context.setdefault("answer", None)
    context.setdefault("asked_kind", "")
    context.setdefault("error", None)
    return render(request, "search.html.j2", status=status, may_ask=user.role in ASKERS, identifiers=IDENTIFIERS,
                  threshold=PERSON_THRESHOLD, form=form, **context)


@router.get("/search")
def search_page(request: Request, user: WebUser, store: StoreDep) -> HTMLResponse:
    """The two query forms (an identifier, a person) and what a hit means."""
    return _search(request, store, user)


@router.post("/search")
def search(
    request: Request,
    store: StoreDep,
    user: FormUser,
    kind: Annotated[str, Form(max_length=40)] = "",
    purpose: Text = "",
    value: Text = "",
    region: Annotated[str, Form(max_length=10)] = "",
    given_name: Text = "",
    family_name: Text = "",
    birth_date: Annotated[str, Form(max_length=20)] = "",
    birth_year: Annotated[str, Form(max_length=10)] = "",
    sex: Annotated[str, Form(max_length=40)] = "",
    citizenship: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """Ask, as ``POST /api/hits`` does; the page shows hit or no hit and whom to contact."""
    if user.role not in ASKERS:
        raise PermissionDeniedError(f"the {user.role} role cannot ask hit/no-hit queries (contributors, analysts can)")
    fields = {"given_name": given_name, "family_name": family_name, "birth_date": birth_date,
              "birth_year": birth_year, "sex": sex, "citizenship": citizenship}
    form = {"kind": kind, "purpose": purpose, "value": value, "region": region, **fields}
    if kind == "person":
        query = {key: text.strip() for key, text in fields.items() if text.strip()}
    else:
        query = {"value": value.strip(), **({"region": region.strip()} if region.strip() else {})}
    try:
        if kind == "person" and not query:
            raise InputError("give at least a name or a birth date of the person", column="person")
        answer = ask(store, org=user.organisation, asked_by=user.name, purpose=purpose.strip(), kind=kind,
                     query=query)
    except PalermoError as exc:
        return _search(request, store, user, status=_status(exc), form=form, error=exc.message, asked_kind=kind)
    asked = list(query.values()) if kind == "person" else query["value"]
    return _search(request, store, user, form={"kind": kind, "region": region}, answer=answer, asked_kind=kind,
                   asked=asked, asked_purpose=purpose.strip())


def _notice(store: StoreDep, org: str, notice_id: int) -> Notice:
    found = [n for n in inbox(store, org) if n.id == notice_id]
    if not found:
        raise NotFoundError(f"no notice {notice_id} for organisation {org!r}")
    return found[0]


def _partial(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


@router.get("/inbox")
def inbox_page(request: Request, user: WebUser, store: StoreDep) -> HTMLResponse:
    """The organisation's notices: pending first, then decided."""
    return _inbox(request, store, user)


def _inbox(request: Request, store: StoreDep, user: WebUser, status: int = 200, error: str | None = None
           ) -> HTMLResponse:
    notices = inbox(store, user.organisation)
    return render(request, "inbox.html.j2", status=status, error=error,
                  pending=[n for n in notices if n.status == "pending"],
                  decided=[n for n in notices if n.status != "pending"][::-1], may_decide=user.role in DECIDERS)


@router.get("/inbox/{notice_id}")
def notice_row(
    request: Request, user: WebUser, store: StoreDep, notice_id: Annotated[int, Path(ge=1, lt=2**63)]
) -> Response:
    """One notice as its inbox row (htmx swaps it back in when a confirmation is cancelled)."""
    if not _partial(request):
        return RedirectResponse(f"/inbox#notice-{notice_id}", status_code=303)
    notice = _notice(store, user.organisation, notice_id)
    return render(request, "inbox_notice.html.j2", notice=notice, may_decide=user.role in DECIDERS, error=None,
                  just_decided=False)


@router.get("/inbox/{notice_id}/confirm")
def confirm(
    request: Request,
    user: WebUser,
    store: StoreDep,
    notice_id: Annotated[int, Path(ge=1, lt=2**63)],
    decision: Annotated[str, Query(pattern="^(disclose|decline)$")] = "disclose",
) -> HTMLResponse:
    """The confirmation of a decision (a row for htmx, else a page)."""
    if user.role not in DECIDERS:
        raise PermissionDeniedError(f"the {user.role} role cannot decide on notices (needs analyst or admin)")
    notice = _notice(store, user.organisation, notice_id)
    template = "inbox_confirm.html.j2" if _partial(request) else "inbox_confirm_page.html.j2"
    return render(request, template, notice=notice, disclose=decision == "disclose")


@router.post("/inbox/{notice_id}/decision")
def decision(
    request: Request,
    store: StoreDep,
    user: FormUser,
    notice_id: Annotated[int, Path(ge=1, lt=2**63)],
    disclose: Annotated[str, Form(pattern="^(yes|no)$")],
    note: Text = "",
) -> Response:
    """Disclose or decline, as ``POST /api/notices/{id}/decision`` does; the decision is final."""
    if user.role not in DECIDERS:
        raise PermissionDeniedError(f"the {user.role} role cannot decide on notices (needs analyst or admin)")
    try:
        done = decide(store, notice_id, org=user.organisation, decided_by=user.name, disclose=disclose == "yes",
                      note=note.strip())
    except PalermoError as exc:
        if not _partial(request):
            return _inbox(request, store, user, status=_status(exc), error=exc.message)
        notice = _notice(store, user.organisation, notice_id)  # htmx swaps only a 200: the row says what failed
        return render(request, "inbox_notice.html.j2", notice=notice, may_decide=True, error=exc.message,
                      just_decided=False)
    if not _partial(request):
        return RedirectResponse(f"/inbox#notice-{done.id}", status_code=303)
    return render(request, "inbox_notice.html.j2", notice=done, may_decide=True, error=None, just_decided=True)
