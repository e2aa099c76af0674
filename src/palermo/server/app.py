"""The HTTP API of the shared server (FastAPI).

Every error, palermo's own, authentication, validation or an unknown route, has one JSON shape:
``{"error": {"code": ..., "message": ...}}``. Messages never echo submitted values.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from ..errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InputError,
    NotFoundError,
    PalermoError,
    PermissionDeniedError,
)
from ..settings import Settings
from ..store.db import Store, StoreUnavailableError, open_store
from .identity import Principal, Role, authenticate_token

STATUS: dict[type[PalermoError], int] = {
    InputError: 422,
    NotFoundError: 404,
    ConflictError: 409,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    StoreUnavailableError: 503,
    ConfigurationError: 500,
}
HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str
    message: str


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorBody


class Health(BaseModel):
    """The server is up."""

    status: Literal["ok"] = "ok"


class Me(BaseModel):
    """The caller."""

    user: str
    organisation: str
    role: Role


class HitRequest(BaseModel):
    """A hit/no-hit query, in plaintext mode."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "phone", "email", "document", "bank_account"]
    purpose: str = Field(min_length=1, max_length=2000)
    query: dict[str, str] = Field(max_length=20)


class Decision(BaseModel):
    """The holder's decision on a notice."""

    model_config = ConfigDict(extra="forbid")

    disclose: bool
    note: str = Field(default="", max_length=2000)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _status_of(exc: PalermoError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


async def _palermo_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PalermoError)
    status = _status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    message = exc.message if status < 500 or isinstance(exc, StoreUnavailableError) else "server misconfigured"
    return _error(status, exc.code, message, headers)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return _error(exc.status_code, code, message, dict(exc.headers) if exc.headers else None)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors()[:10]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return _error(422, "invalid_request", "; ".join(problems) or "invalid request")


async def _unexpected_error(_request: Request, _exc: Exception) -> JSONResponse:
    return _error(500, "internal", "internal server error")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(_store)]
_bearer = HTTPBearer(auto_error=False)


def current_user(
    store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller named by the ``Authorization: Bearer`` token."""
    if credentials is None:
        raise AuthenticationError("an Authorization: Bearer token is required")
    return authenticate_token(store, credentials.credentials)


Caller = Annotated[Principal, Depends(current_user)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers with one of ``roles``."""

    def check(caller: Caller) -> Principal:
        if caller.role not in roles:
            raise PermissionDeniedError(f"the {caller.role} role cannot do this (needs {' or '.join(roles)})")
        return caller

    return check


Asker = Annotated[Principal, Depends(require("contributor", "analyst"))]
Decider = Annotated[Principal, Depends(require("analyst", "admin"))]


def _resolve(source: Settings | Store | str) -> tuple[Store, bool]:
    """The store to serve and whether the app owns (and so disposes of) it."""
    if isinstance(source, Store):
        return source, False
    url = source.resolved_database_url() if isinstance(source, Settings) else source
    return open_store(url), True


def create_app(settings_or_url: Settings | Store | str) -> FastAPI:
    """The API over the store given by settings, a URL or an open store; it is opened at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store, owned = _resolve(settings_or_url)
        app.state.store = store
        try:
            yield
        finally:
            if owned:
                store.engine.dispose()

    app = FastAPI(
        title="palermo",
        summary="Shared server: hit/no-hit across organisations.",
        lifespan=lifespan,
        responses={code: {"model": ErrorResponse} for code in (401, 403, 404, 409, 422)},
    )
    app.add_exception_handler(PalermoError, _palermo_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    _routes(app)
    return app


def _routes(app: FastAPI) -> None:
    from ..link.hits import HitAnswer, Notice, ask, decide, inbox

    @app.get("/health")
    def health() -> Health:
        """The server is up (no authentication)."""
        return Health()

    @app.get("/api/me")
    def me(caller: Caller) -> Me:
        """Who the token belongs to."""
        return Me(user=caller.name, organisation=caller.organisation, role=caller.role)

    @app.post("/api/hits", response_model=HitAnswer)
    def hits(body: HitRequest, caller: Asker, store: StoreDep) -> HitAnswer:
        """Ask whether another organisation holds this person or identifier (contributors and analysts)."""
        return ask(
            store, org=caller.organisation, asked_by=caller.name, purpose=body.purpose, kind=body.kind,
            query=body.query,
        )

    @app.get("/api/inbox", response_model=list[Notice])
    def notices(caller: Caller, store: StoreDep) -> list[Notice]:
        """Notices about records the caller's organisation holds."""
        return inbox(store, caller.organisation)

    @app.post("/api/notices/{notice_id}/decision", response_model=Notice)
    def decision(
        notice_id: Annotated[int, Path(ge=1, lt=2**63)], body: Decision, caller: Decider, store: StoreDep
    ) -> Notice:
        """Disclose or decline a notice of the caller's organisation (analysts and admins); final."""
        return decide(
            store, notice_id, org=caller.organisation, decided_by=caller.name, disclose=body.disclose, note=body.note
        )
