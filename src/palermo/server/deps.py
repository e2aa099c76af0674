"""What the API's routes depend on: the open store and the authenticated caller with a permitted role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..errors import AuthenticationError, PermissionDeniedError
from ..store.db import Store
from .identity import Principal, authenticate_token


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
"""Contributors and analysts: ask hit/no-hit queries."""
Decider = Annotated[Principal, Depends(require("analyst", "admin"))]
"""Analysts and admins: decide on notices."""
