"""Who is signed in to the web pages: the session cookie and a CSRF token for every form.

The cookie holds a session token (the same kind the API's ``POST /api/session`` issues), HttpOnly,
SameSite=Strict, and Secure whenever the request came over HTTPS (directly or through a trusted
proxy), so that a local ``palermo serve`` on plain HTTP still works. Every
form carries a CSRF token bound to the session (HMAC of the token's id under a deployment key) and
every POST checks it, in addition to SameSite.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Form, Request

from ..errors import AuthenticationError, PermissionDeniedError
from ..link.keys import deployment_key
from ..server.deps import StoreDep
from ..server.identity import Principal, authenticate_token
from ..store.db import Store

COOKIE = "palermo_session"


class SignInRequired(Exception):  # noqa: N818 (a redirect, not an error)
    """The page needs a signed-in user; the handler redirects to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def csrf_token(store: Store, principal: Principal) -> str:
    """The session's CSRF token."""
    key = deployment_key(store, "web-csrf")
    return hmac.new(key, f"session:{principal.token_id}".encode(), hashlib.sha256).hexdigest()


def web_user(request: Request, store: StoreDep) -> Principal:
    """The signed-in user (else a redirect to the sign-in page); sets the CSRF token for the templates."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired(request.url.path)
    try:
        principal = authenticate_token(store, token)
    except AuthenticationError:
        raise SignInRequired(request.url.path) from None
    request.state.web_user = principal
    request.state.csrf = csrf_token(store, principal)
    return principal


WebUser = Annotated[Principal, Depends(web_user)]


def web_role(*roles: str) -> Callable[[Principal], Principal]:
    """A page dependency admitting only users with one of ``roles``."""

    def check(user: WebUser) -> Principal:
        if user.role not in roles:
            raise PermissionDeniedError(f"this page is for the {' or '.join(roles)} role; you are {user.role}")
        return user

    return check


def checked_form(request: Request, store: StoreDep, user: WebUser, csrf: Annotated[str, Form()] = "") -> Principal:
    """The user posting a form, after its CSRF token is checked."""
    if not hmac.compare_digest(csrf, csrf_token(store, user)):
        raise PermissionDeniedError("the form has expired or did not come from this site; reload the page")
    return user


FormUser = Annotated[Principal, Depends(checked_form)]
