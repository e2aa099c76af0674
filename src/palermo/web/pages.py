"""Signing in and out, and an organisation's home: its data, jobs, notices and what to do next."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from ..errors import AuthenticationError, RateLimitedError
from ..link.hits import inbox
from ..server.deps import StoreDep
from ..server.jobs import list_jobs
from ..server.routes.session import end_session, password_sign_in
from ..store.agreements import list_agreements
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import case_record, ingest_batch
from .auth import COOKIE, FormUser, WebUser
from .templating import render

router = APIRouter(include_in_schema=False)
SESSION_SECONDS = 12 * 3600


def _safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no host, no ``//``) may be the page after signing in."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/home"
    return target


@router.get("/")
def root() -> RedirectResponse:
    """The home page (or the sign-in page)."""
    return RedirectResponse("/home", status_code=303)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/home") -> HTMLResponse:
    """The sign-in form."""
    return render(request, "sign_in.html.j2", next=_safe_next(next), error=None, name="")


@router.post("/sign-in")
def sign_in(
    request: Request,
    store: StoreDep,
    user: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/home",
) -> Response:
    """Check the password (throttled like the API) and set the session cookie."""
    target = _safe_next(next)
    try:
        if not user.strip() or not password:
            raise AuthenticationError("enter your user name and password")
        _, issued = password_sign_in(request, store, user, password)
    except (AuthenticationError, RateLimitedError) as exc:
        status = 429 if isinstance(exc, RateLimitedError) else 401
        return render(request, "sign_in.html.j2", status=status, next=target, error=exc.message, name=user)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE, issued.token, max_age=SESSION_SECONDS, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/",
    )
    return response


@router.post("/sign-out")
def sign_out(user: FormUser, store: StoreDep) -> Response:
    """Revoke the session's token and forget the cookie."""
    end_session(store, user)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _holdings(store: Store, org_id: int) -> tuple[int, int]:
    with store.engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(case_record).where(case_record.c.org_id == org_id))
        batches = conn.execute(select(func.count()).select_from(ingest_batch).where(ingest_batch.c.org_id == org_id))
        return int(cases.scalar_one()), int(batches.scalar_one())


@router.get("/home")
def home(request: Request, user: WebUser, store: StoreDep) -> HTMLResponse:
    """The organisation's home: what it holds, its recent uploads, pending notices and agreements."""
    org = get_organisation(store, user.organisation)
    cases, batches = _holdings(store, org.id)
    pending = inbox(store, org.name, pending_only=True)
    agreements = [a for a in list_agreements(store, org.name) if a.active()]
    return render(
        request, "home.html.j2", org=org, cases=cases, batches=batches, jobs=list_jobs(store, org.name, limit=10),
        pending=pending, agreements=agreements,
    )
