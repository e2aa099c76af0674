"""The HTTP API of the shared server (FastAPI).

Every error, palermo's own, authentication, validation or an unknown route, has one JSON shape:
``{"error": {"code": ..., "message": ...}}``. Messages never echo submitted values.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..audit_sealing import BackgroundSealer
from ..errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    InputError,
    NotFoundError,
    PalermoError,
    PermissionDeniedError,
    RateLimitedError,
)
from ..settings import Settings, get_settings
from ..store.db import Store, StoreUnavailableError, open_store
from ..web.mount import install as install_web
from ..web.templating import error_page, is_page
from .deps import Caller, reject_nul
from .identity import Role
from .limits import BodyLimit
from .ratelimit import AuthThrottle

STATUS: dict[type[PalermoError], int] = {
    InputError: 422,
    NotFoundError: 404,
    ConflictError: 409,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    RateLimitedError: 429,
    StoreUnavailableError: 503,
    ConfigurationError: 500,
}
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
              429: "too_many_requests"}


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


def _error(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The one JSON error shape for the API; a page saying the same for a web page."""
    if is_page(request):
        return error_page(request, status, message, headers)
    body = ErrorResponse(error=ErrorBody(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _status_of(exc: PalermoError) -> int:
    for kind in type(exc).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


async def _palermo_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PalermoError)
    status = _status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(exc.retry_after)}
    message = exc.message if status < 500 or isinstance(exc, StoreUnavailableError) else "server misconfigured"
    return _error(request, status, exc.code, message, headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    message = "no such route" if exc.status_code == 404 else str(exc.detail)
    return _error(request, exc.status_code, code, message, dict(exc.headers) if exc.headers else None)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for item in exc.errors()[:10]:
        where = ".".join(str(part) for part in item.get("loc", ()) if part != "body") or "body"
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return _error(request, 422, "invalid_request", "; ".join(problems) or "invalid request")


async def _unexpected_error(request: Request, _exc: Exception) -> Response:
    return _error(request, 500, "internal", "internal server error")


def _resolve(source: Settings | Store | str) -> tuple[Store, bool]:
    """The store to serve and whether the app owns (and so disposes of) it."""
    if isinstance(source, Store):
        return source, False
    url = source.resolved_database_url() if isinstance(source, Settings) else source
    return open_store(url), True


def create_app(
    settings_or_url: Settings | Store | str,
    *,
    throttle: AuthThrottle | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """The API over the store given by settings, a URL or an open store; it is opened at startup.

    ``throttle`` limits failed sign-ins and bearer tokens (default: :class:`AuthThrottle`'s rules, counted in
    the store).
    ``settings`` (default: ``settings_or_url`` if it is Settings, else the environment's) sets the limits.
    """
    config = settings or (settings_or_url if isinstance(settings_or_url, Settings) else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store, owned = _resolve(settings_or_url)
        app.state.store, app.state.owns_store = store, owned
        app.state.throttle = throttle or AuthThrottle(store=store)  # counts shared by every process of the store
        # Synchronous routes run on this event loop's worker threads: a few, not anyio's 40 (see Settings).
        to_thread.current_default_thread_limiter().total_tokens = config.request_threads
        # A store the app owns is sealed in the background; one it was given keeps sealing inline.
        sealer = BackgroundSealer(store).start() if owned else None
        if owned:
            _settle_heap()
        try:
            yield
        finally:
            if sealer is not None:
                sealer.close()
            if owned:
                store.engine.dispose()

    app = FastAPI(
        title="palermo",
        summary="Shared server: hit/no-hit across organisations.",
        lifespan=lifespan,
        responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 422, 429)},
        dependencies=[Depends(reject_nul)],
    )
    app.add_exception_handler(PalermoError, _palermo_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.state.settings = config
    app.add_middleware(BodyLimit, max_bytes=config.max_upload_bytes, paths=("/api/uploads", "/uploads"))
    _routes(app)
    return app


def _settle_heap() -> None:
    """Move what start-up made (modules, the standard's tables, caches) out of the garbage collector's reach.

    A full collection walks every tracked object; over a serving process's start-up heap it paused all
    requests for 40-180 ms several times a minute under load (measured with ``gc.callbacks``). Frozen
    objects are never walked again; what requests make is still collected as usual.
    """
    gc.collect()
    gc.freeze()


def _routes(app: FastAPI) -> None:
    from .routes import admin, agreements, analysis, audit_log, cases, hits, publication, session, uploads

    @app.get("/health")
    def health() -> Health:
        """The server is up (no authentication)."""
        return Health()

    @app.get("/api/me")
    def me(caller: Caller) -> Me:
        """Who the token belongs to."""
        return Me(user=caller.name, organisation=caller.organisation, role=caller.role)

    for module in (hits, session, admin, cases, agreements, analysis, audit_log, uploads, publication):
        app.include_router(module.router)
    install_web(app)


def app_from_environment() -> FastAPI:
    """The app over the settings in the environment (for ``palermo serve --workers N``)."""
    return create_app(get_settings())
