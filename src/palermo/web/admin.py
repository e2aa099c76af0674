"""Administration in the browser (admins): organisations, users and API tokens, through the API's own functions.

Each change is made and audited by the same function the API route calls (``admin.*`` actions).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse

from ..errors import (
    AuthenticationError,
    ConflictError,
    InputError,
    NotFoundError,
    PalermoError,
    PermissionDeniedError,
    RateLimitedError,
)
from ..server.administration import (
    issue_user_token,
    register_organisation,
    register_user,
    revoke_user_token,
    set_user_disabled,
)
from ..server.deps import StoreDep
from ..server.identity import MAX_TOKEN_DAYS, ROLES, IssuedToken, Principal, list_tokens, list_users
from ..standard.countries import country_codes, country_name
from ..standard.schema import organisation_types
from ..store.db import Store
from ..store.orgs import list_organisations
from .auth import FormUser, web_role
from .templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Principal, Depends(web_role("admin"))]
ROLE_WORDS = {
    "contributor": "uploads its organisation's files and asks hit/no-hit questions",
    "analyst": "reads pooled data within the sharing agreements, decides on notices, grants agreements",
    "auditor": "reads its organisation's audit log and checks the chain",
    "admin": "administers the deployment: organisations, users, tokens, every agreement",
}
_STATUS: dict[type[PalermoError], int] = {
    InputError: 422, NotFoundError: 404, ConflictError: 409, AuthenticationError: 401,
    PermissionDeniedError: 403, RateLimitedError: 429,
}
Name = Annotated[str, Form(max_length=200)]


def status_of(exc: PalermoError) -> int:
    """The HTTP status of a refused action shown in a page (as the API answers it)."""
    return next((_STATUS[kind] for kind in type(exc).__mro__ if kind in _STATUS), 400)


def message_of(exc: PalermoError) -> str:
    """What to tell the user: the error's message, without the API's "column 'x':" prefix for a form field."""
    if isinstance(exc, InputError) and exc.file is None and exc.row is None:
        return exc.reason
    return exc.message


def _checked(user: Principal) -> Principal:
    """A posted form's user, if an administrator (the API's admin routes admit no one else)."""
    if user.role != "admin":
        raise PermissionDeniedError(f"administration is for the admin role; you are {user.role}")
    return user


def _page(request: Request, store: Store, user: Principal, *, status: int = 200, **extra: Any) -> HTMLResponse:
    """The administration page, with what the last action did (``done``, ``errors``, ``issued``, ``values``)."""
    types = organisation_types()
    context: dict[str, Any] = {"done": {}, "errors": {}, "issued": None, "values": {}}
    context.update(extra)
    return render(
        request, "admin.html.j2", status=status, organisations=list_organisations(store), users=list_users(store),
        me=user.name, tokens=list_tokens(store), org_types=types, type_labels={t.name: t.label for t in types},
        countries=sorted(((c, country_name(c)) for c in country_codes()), key=lambda pair: pair[1]),
        country_name=country_name, roles=ROLES, role_words=ROLE_WORDS, max_days=MAX_TOKEN_DAYS,
        session_token=user.token_id, **context,
    )


def _refused(request: Request, store: Store, user: Principal, form: str, exc: PalermoError,
             values: dict[str, Any]) -> HTMLResponse:
    return _page(request, store, user, status=status_of(exc), errors={form: message_of(exc)}, values={form: values})


@router.get("/admin")
def admin_page(request: Request, user: Admin, store: StoreDep) -> HTMLResponse:
    """Organisations, users and API tokens, with a form for each change."""
    return _page(request, store, user)


@router.post("/admin/organisations")
def new_organisation(request: Request, user: FormUser, store: StoreDep, name: Name = "",
                     org_type: Annotated[str, Form(max_length=100)] = "",
                     country: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse:
    """Register an organisation (audited as ``admin.organisation.create``)."""
    _checked(user)
    try:
        created = register_organisation(store, user, name, org_type, country)
    except PalermoError as exc:
        return _refused(request, store, user, "org", exc, {"name": name, "type": org_type, "country": country})
    return _page(request, store, user, status=201, done={"org": f"Organisation {created.name} registered."})


@router.post("/admin/users")
def new_user(request: Request, user: FormUser, store: StoreDep, name: Name = "", organisation: Name = "",
             role: Annotated[str, Form(max_length=20)] = "",
             password: Annotated[str, Form(max_length=1024)] = "") -> HTMLResponse:
    """Register a user with a role and a password (audited as ``admin.user.create``, never the password)."""
    _checked(user)
    try:
        created = register_user(store, user, name, organisation, role, password)
    except PalermoError as exc:
        return _refused(request, store, user, "user", exc, {"name": name, "organisation": organisation, "role": role})
    return _page(request, store, user, status=201,
                 done={"user": f"User {created.name} ({created.role}, {created.organisation}) registered."})


@router.post("/admin/tokens")
def new_token(request: Request, user: FormUser, store: StoreDep, holder: Name = "",
              days: Annotated[int, Form(ge=-(2**31), lt=2**31)] = 90) -> HTMLResponse:
    """Issue an API token; the page shows it this once (audited as ``admin.token.issue``, never the secret)."""
    _checked(user)
    try:
        issued: IssuedToken = issue_user_token(store, user, holder, days)
    except PalermoError as exc:
        return _refused(request, store, user, "token", exc, {"holder": holder, "days": days})
    return _page(request, store, user, status=201, issued=issued)


@router.post("/admin/users/{name}/{change}")
def change_user(request: Request, user: FormUser, store: StoreDep, name: Annotated[str, Path(max_length=200)],
                change: Literal["disable", "enable"]) -> HTMLResponse:
    """Disable a user (no sign-in, every token revoked) or enable them again (audited as ``admin.user.*``)."""
    _checked(user)
    try:
        changed = set_user_disabled(store, user, name, change == "disable")
    except PalermoError as exc:
        return _refused(request, store, user, "access", exc, {})
    return _page(request, store, user, done={"access": f"User {changed.name} {change}d."})


@router.post("/admin/tokens/{token_id}/revoke")
def revoke(request: Request, user: FormUser, store: StoreDep,
           token_id: Annotated[int, Path(ge=1, lt=2**63)]) -> HTMLResponse:
    """Revoke an API token at once (audited as ``admin.token.revoke``)."""
    _checked(user)
    try:
        revoke_user_token(store, user, token_id)
    except PalermoError as exc:
        return _refused(request, store, user, "revoke", exc, {})
    return _page(request, store, user, done={"revoke": f"Token {token_id} revoked: it no longer works."})
