"""What the API's routes depend on: the open store and the authenticated caller with a permitted role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import AuthenticationError, PermissionDeniedError
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
