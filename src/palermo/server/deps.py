"""What the API's routes depend on: the open store and the authenticated caller with a permitted role."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import AuthenticationError, InputError, PermissionDeniedError
from ..store.db import Store
from .identity import Principal, authenticate_token
from .ratelimit import AuthThrottle, client_key


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(_store)]
_bearer = HTTPBearer(auto_error=False)


def throttle(request: Request) -> AuthThrottle:
    """The app's throttle of failed sign-ins and bearer tokens."""
    found: AuthThrottle = request.app.state.throttle
    return found


def client_address(request: Request) -> str:
    """The client's address as a throttling key."""
    return client_key(request.client.host if request.client else None)


def current_user(
    request: Request, store: StoreDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller named by the ``Authorization: Bearer`` token; an address sending many bad ones is throttled."""
    if credentials is None:
        raise AuthenticationError("an Authorization: Bearer token is required")
    limits, address = throttle(request), client_address(request)
    limits.token_check(address)
    try:
        return authenticate_token(store, credentials.credentials)
    except AuthenticationError:
        limits.token_failed(address)
        raise


Caller = Annotated[Principal, Depends(current_user)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


async def reject_nul(request: Request) -> None:
    """Refuse (422) a NUL character in a path or query parameter, a JSON body or a form's text fields.

    PostgreSQL cannot store NUL in text (and SQLite would store what PostgreSQL refuses): without this
    a NUL in, say, a purpose fails at the audit log's insert with a server error. Uploaded files are
    bytes and may hold NUL; their names are shown with control characters escaped.
    """
    texts: list[Any] = [list(request.path_params.values()), [v for item in request.query_params.multi_items()
                                                               for v in item]]
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        body = await request.body()
        with contextlib.suppress(ValueError):  # not JSON: the route's own validation answers
            texts.append(json.loads(body))
    elif media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        texts.append([v for item in (await request.form()).multi_items() for v in item if isinstance(v, str)])
    if _has_nul(texts):
        raise InputError("text must not contain NUL characters")


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers with one of ``roles``."""

    def check(caller: Caller) -> Principal:
        if caller.role not in roles:
            raise PermissionDeniedError(f"the {caller.role} role cannot do this (needs {' or '.join(roles)})")
        return caller

    return check


Asker = Annotated[Principal, Depends(require("contributor", "analyst"))]
"""Contributors and analysts: ask hit/no-hit queries."""
Decider = Annotated[Principal, Depends(require("analyst", "admin"))]
"""Analysts and admins: decide on notices."""
