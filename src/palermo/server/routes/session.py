"""Signing in with a password (a short-lived token for the web client) and signing out."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ... import audit
from ...store.db import Store
from ...store.orgs import get_organisation
from ..deps import Caller, StoreDep, client_address, throttle
from ..identity import IssuedToken, Principal, Role, User, issue_session_token, revoke_token, verify_password

router = APIRouter(tags=["session"])


class SignIn(BaseModel):
    """A user name and password."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1024)


class Session(BaseModel):
    """A signed-in session: ``token`` (shown only now) is a bearer token valid until ``expires_at``."""

    token: str
    expires_at: datetime
    user: str
    organisation: str
    role: Role


def password_sign_in(request: Request, store: Store, name: str, password: str) -> tuple[User, IssuedToken]:
    """Check a password under the app's throttle; the user and a new session token (API and web pages)."""
    limits, address = throttle(request), client_address(request)
    limits.signin_attempt(name, address)
    user = verify_password(store, name, password)
    limits.signin_succeeded(name, address)
    issued = issue_session_token(store, user)
    audit.append(store, actor=user.name, org_id=get_organisation(store, user.organisation).id,
                 action="session.sign_in", purpose="sign in", details={"address": address})
    return user, issued


def end_session(store: Store, caller: Principal) -> None:
    """Revoke the token the caller signed in with, and audit it (API and web pages)."""
    revoke_token(store, caller.token_id)
    audit.append(store, actor=caller.name, org_id=get_organisation(store, caller.organisation).id,
                 action="session.sign_out", purpose="sign out")


@router.post("/api/session", status_code=201, response_model=Session)
def sign_in(body: SignIn, request: Request, store: StoreDep) -> Session:
    """Sign in: a bearer token for a few hours. Repeated failures per user or per address answer 429."""
    user, issued = password_sign_in(request, store, body.user, body.password)
    return Session(
        token=issued.token, expires_at=issued.expires_at, user=user.name, organisation=user.organisation,
        role=user.role,
    )


@router.delete("/api/session", status_code=204)
def sign_out(caller: Caller, store: StoreDep) -> Response:
    """Sign out: revoke the token this request used (whether from a sign-in or issued by an admin)."""
    end_session(store, caller)
    return Response(status_code=204)
