"""Sharing agreements in the browser: those the organisation grants and receives; granting and revoking.

Listing, granting and revoking go through the functions the API routes call (and the library audits
each grant and revocation). Levels are shown in words: what the partner will be able to see.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from ..errors import InputError, PalermoError
from ..server.deps import StoreDep
from ..server.identity import Principal
from ..server.routes.agreements import GRANTERS, grant_as, revoke_as, visible_agreements
from ..store.agreements import CATEGORIES, LEVELS, MAX_DAYS, Agreement
from ..store.db import Store
from ..store.orgs import list_organisations
from .admin import message_of, status_of
from .auth import FormUser, WebUser
from .templating import render

router = APIRouter(include_in_schema=False)
CATEGORY_WORDS = {
    "cases": "case data (the analytical fields of each case)",
    "identities": "identities (names, dates of birth, contacts, documents)",
    "linkage": "linkage (which people the record linkage found in both organisations' records)",
}
SEES = {
    ("cases", "none"): "nothing of {owner}'s cases",
    ("cases", "aggregate"): "only statistics of {owner}'s cases (counts, small counts suppressed), no single case",
    ("cases", "pseudonymised"): "each of {owner}'s cases under a pseudonym, without provenance or free text",
    ("cases", "full"): "each of {owner}'s cases in full",
    ("identities", "none"): "none of the identities {owner} holds",
    ("identities", "aggregate"): "no names or contacts of {owner}'s people (identities are shown only in full)",
    ("identities", "pseudonymised"): "no names or contacts of {owner}'s people (identities are shown only in full)",
    ("identities", "full"): "names, dates of birth, contacts and documents of {owner}'s people",
    ("linkage", "none"): "nothing of whom {owner} holds too",
    ("linkage", "aggregate"): "only how many other holders share a person, without naming {owner}",
    ("linkage", "pseudonymised"): "that {owner} holds the same person too (named, without its record references)",
    ("linkage", "full"): "that {owner} holds the same person too, with {owner}'s record references",
}
Text = Annotated[str, Form(max_length=200)]
Day = Annotated[str, Form(max_length=20)]


def sees(agreement: Agreement) -> str:
    """What the grantee can see under ``agreement``, in words."""
    return SEES[(agreement.category, agreement.level)].format(owner=agreement.grantor)


def period(agreement: Agreement) -> str:
    """The agreement's period in words (UTC): an end at midnight reads as the end of the day before."""
    start, end = agreement.valid_from, agreement.valid_until
    until = f"end of {(end - timedelta(days=1)):%Y-%m-%d}" if end.time() == time() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M} to {until}"


def state(agreement: Agreement, now: datetime) -> str:
    """in force, not yet in force, expired or revoked."""
    if agreement.revoked_at is not None:
        return "revoked"
    if now < agreement.valid_from:
        return "not yet in force"
    return "in force" if now < agreement.valid_until else "expired"


def _day(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"give the {label} date as a date, like 2027-01-31", column=label) from None


def _period(first: str, last: str) -> tuple[datetime | None, datetime]:
    """The period of the form's dates, in UTC: from the start of ``first`` (now, if today) to the end of ``last``."""
    start, end = _day(first, "start"), _day(last, "end")
    if end < start:
        raise InputError(f"the agreement would end ({end}) before it starts ({start})", column="end")
    valid_from = None if start == datetime.now(UTC).date() else datetime.combine(start, time(), UTC)
    return valid_from, datetime.combine(end + timedelta(days=1), time(), UTC)


def _page(request: Request, store: Store, user: Principal, *, status: int = 200, **extra: Any) -> HTMLResponse:
    now = datetime.now(UTC)
    shown = visible_agreements(store, user)
    today = now.date()
    context: dict[str, Any] = {
        "done": None, "error": None,
        "values": {"start": today.isoformat(), "end": (today + timedelta(days=365)).isoformat(),
                   "purpose": "sharing agreement", "grantor": user.organisation, "grantee": "", "levels": {}},
    }
    context.update(extra)
    return render(
        request, "agreements.html.j2", status=status, now=now,
        granted=[a for a in shown if a.grantor == user.organisation],
        received=[a for a in shown if a.grantee == user.organisation],
        others=[a for a in shown if user.organisation not in (a.grantor, a.grantee)],
        organisations=[o.name for o in list_organisations(store)], may_grant=user.role in GRANTERS,
        is_admin=user.role == "admin", categories=CATEGORIES, levels=LEVELS, category_words=CATEGORY_WORDS,
        sees=sees, state=state, period=period, words=SEES, max_days=MAX_DAYS, **context,
    )


@router.get("/agreements")
def agreements_page(request: Request, user: WebUser, store: StoreDep) -> HTMLResponse:
    """The organisation's agreements, both ways (administrators: all), and the form to grant one."""
    return _page(request, store, user)


@router.post("/agreements")
def grant_page(
    request: Request, user: FormUser, store: StoreDep, grantee: Text = "", grantor: Text = "",
    cases: Text = "none", identities: Text = "none", linkage: Text = "none", start: Day = "", end: Day = "",
    purpose: Annotated[str, Form(max_length=2000)] = "sharing agreement",
) -> HTMLResponse:
    """Grant the chosen level of each category to ``grantee`` for the period: one agreement per category."""
    chosen = {"cases": cases, "identities": identities, "linkage": linkage}
    values = {"grantee": grantee, "grantor": grantor or user.organisation, "start": start, "end": end,
              "purpose": purpose, "levels": chosen}
    try:
        wanted = {category: level for category, level in chosen.items() if level != "none"}
        if not grantee.strip():
            raise InputError("choose the organisation to share with", column="grantee")
        if not wanted:
            raise InputError("choose a level above none for at least one kind of data")
        valid_from, valid_until = _period(start, end)
        made = [
            grant_as(store, user, grantee, category, level, grantor=grantor or None, valid_from=valid_from,
                     valid_until=valid_until, purpose=purpose.strip() or "sharing agreement")
            for category, level in wanted.items()
        ]
    except PalermoError as exc:
        return _page(request, store, user, status=status_of(exc), error=message_of(exc), values=values)
    summary = "; ".join(f"{a.category}: {a.level}" for a in made)
    return _page(request, store, user, status=201, done=f"Granted to {made[0].grantee} ({summary}).")


@router.post("/agreements/{agreement_id}/revoke")
def revoke_page(request: Request, user: FormUser, store: StoreDep,
                agreement_id: Annotated[int, Path(ge=1, lt=2**63)]) -> HTMLResponse:
    """Revoke an agreement at once."""
    try:
        revoked = revoke_as(store, user, agreement_id)
    except PalermoError as exc:
        return _page(request, store, user, status=status_of(exc), error=message_of(exc))
    return _page(request, store, user, done=f"Agreement {revoked.id} revoked: {revoked.grantee} no longer sees "
                                             f"{revoked.grantor}'s {revoked.category}.")
