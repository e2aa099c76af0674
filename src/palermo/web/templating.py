"""Rendering pages: one Jinja2 environment (autoescaped) over the package's templates."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

ALL_ROLES = ("contributor", "analyst", "auditor", "admin")
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("/home", "Home", ALL_ROLES),
    ("/uploads", "Uploads", ALL_ROLES),
    ("/analysis", "Threat assessment", ("analyst",)),
    ("/search", "Hit/no-hit", ("contributor", "analyst")),
    ("/inbox", "Inbox", ALL_ROLES),
    ("/alerts", "Alerts", ("analyst",)),
    ("/agreements", "Agreements", ALL_ROLES),
    ("/audit", "Audit log", ("auditor",)),
    ("/admin", "Administration", ("admin",)),
    ("/publication", "Publication", ("admin",)),
]
"""The main navigation: path, label and the roles that see the link."""
PAGE_PREFIXES_NOT_WEB = ("/api/", "/openapi.json", "/docs", "/redoc", "/health", "/static/")


@cache
def environment() -> jinja2.Environment:
    """The templates of :mod:`palermo.web`, autoescaped."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("palermo.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` rendered with ``context`` (and the request, the user and the CSRF token)."""
    page = environment().get_template(template)
    context.setdefault("user", getattr(request.state, "web_user", None))
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    context.setdefault("nav", NAV)
    html = page.render(request=request, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def is_page(request: Request) -> bool:
    """Whether a browser asked for a web page (not the API, its documents or static files)."""
    path = request.url.path
    if path.startswith(PAGE_PREFIXES_NOT_WEB) or path in {"/health", "/openapi.json"}:
        return False
    return "text/html" in request.headers.get("accept", "")


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page saying what went wrong, in words, with the status."""
    response = render(request, "error.html.j2", status=status, status_code=status, message=message)
    for name, value in (headers or {}).items():
        if name.lower() != "www-authenticate":
            response.headers[name] = value
    return response
