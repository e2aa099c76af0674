"""Administration of the deployment (admins only): organisations, users, API tokens.

Thin routes over :mod:`..administration`, which makes and audits every change (``admin.*`` actions).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from ...store.orgs import Organisation, OrganisationSummary, list_organisations
from ..administration import (
    issue_user_token,
    register_organisation,
    register_user,
    revoke_user_token,
    set_user_disabled,
)
from ..deps import StoreDep, require
from ..identity import MAX_TOKEN_DAYS, IssuedToken, Principal, Role, TokenInfo, User, list_tokens, list_users

router = APIRouter(prefix="/api/admin", tags=["administration"])
Admin = Annotated[Principal, Depends(require("admin"))]
"""Admins: administer the whole deployment."""


class NewOrganisation(BaseModel):
    """An organisation to register."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    type: str = Field(min_length=1, max_length=100, description="an HTCDS org_Type, e.g. NGO, LawEnforcement")
    country: str = Field(min_length=1, max_length=100, description="ISO 3166 code or English name")


class NewUser(BaseModel):
    """A user to register; the password is kept only as an Argon2id hash."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=200)
    role: Role
    password: str = Field(max_length=1024)


class NewToken(BaseModel):
    """How long a new API token stays valid."""

    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=90, ge=1, le=MAX_TOKEN_DAYS)


@router.get("/organisations", response_model=list[OrganisationSummary])
def organisations(_caller: Admin, store: StoreDep) -> list[OrganisationSummary]:
    """Every organisation, with what it has contributed."""
    return list_organisations(store)


@router.post("/organisations", status_code=201, response_model=Organisation)
def new_organisation(body: NewOrganisation, caller: Admin, store: StoreDep) -> Organisation:
    """Register an organisation (HTCDS organisation type, ISO 3166 country)."""
    return register_organisation(store, caller, body.name, body.type, body.country)


@router.get("/users", response_model=list[User])
def users(
    _caller: Admin, store: StoreDep, organisation: Annotated[str | None, Query(min_length=1, max_length=200)] = None
) -> list[User]:
    """Every user (or one organisation's): name, organisation, role, when disabled (no password hashes)."""
    return list_users(store, organisation)


@router.post("/users", status_code=201, response_model=User)
def new_user(body: NewUser, caller: Admin, store: StoreDep) -> User:
    """Register a user of an organisation with a role and a password of at least 12 characters."""
    return register_user(store, caller, body.name, body.organisation, body.role, body.password)


@router.post("/users/{name}/disable", response_model=User)
def disable(name: Annotated[str, Path(min_length=1, max_length=200)], caller: Admin, store: StoreDep) -> User:
    """Disable a user at once: no sign-in, every token (sessions too) revoked; the user is kept for the audit log."""
    return set_user_disabled(store, caller, name, True)


@router.post("/users/{name}/enable", response_model=User)
def enable(name: Annotated[str, Path(min_length=1, max_length=200)], caller: Admin, store: StoreDep) -> User:
    """Let a disabled user sign in again (their old tokens stay revoked: issue new ones)."""
    return set_user_disabled(store, caller, name, False)


@router.post("/users/{name}/tokens", status_code=201, response_model=IssuedToken)
def new_token(
    name: Annotated[str, Path(min_length=1, max_length=200)], body: NewToken, caller: Admin, store: StoreDep
) -> IssuedToken:
    """Issue an API token for a user; the token is in this answer only and cannot be shown again."""
    return issue_user_token(store, caller, name, body.days)


@router.get("/tokens", response_model=list[TokenInfo])
def tokens(_caller: Admin, store: StoreDep, active: bool = True) -> list[TokenInfo]:
    """The tokens (newest first), by default only those in force: who holds each and until when, never secrets."""
    return list_tokens(store, active_only=active)


@router.delete("/tokens/{token_id}", status_code=204)
def delete_token(token_id: Annotated[int, Path(ge=1, lt=2**63)], caller: Admin, store: StoreDep) -> Response:
    """Revoke an API token at once (revoking a revoked token is harmless)."""
    revoke_user_token(store, caller, token_id)
    return Response(status_code=204)
