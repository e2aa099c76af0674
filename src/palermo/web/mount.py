"""Add the web pages to the server's app: the static files, the page routes, the sign-in redirect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from . import admin, agreements, analysis, audit_log, hits, network, pages, publication, uploads
from .auth import COOKIE, SignInRequired


async def _to_sign_in(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    response = RedirectResponse(f"/sign-in?next={quote(exc.next_path)}", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def install(app: FastAPI) -> None:
    """Serve the web application from ``app``."""
    app.mount("/static", StaticFiles(packages=[("palermo.web", "static")]), name="static")
    app.include_router(pages.router)
    app.include_router(uploads.router)
    app.include_router(analysis.router)
    app.include_router(audit_log.router)
    app.include_router(admin.router)
    app.include_router(agreements.router)
    app.include_router(hits.router)
    app.include_router(network.router)
    app.include_router(publication.router)
    app.add_exception_handler(SignInRequired, _to_sign_in)
