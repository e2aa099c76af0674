"""Sharing agreements: an organisation grants another a level of access to a category of its data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from ...errors import InputError, PermissionDeniedError
from ...store.agreements import Agreement, Category, Level, grant, list_agreements, revoke
from ...store.db import Store
from ..deps import Caller, StoreDep, require
from ..identity import Principal

router = APIRouter(tags=["sharing agreements"])
GRANTERS = ("analyst", "admin")
Granter = Annotated[Principal, Depends(require(*GRANTERS))]


class AgreementRequest(BaseModel):
    """A grant: the caller's organisation (or, for an administrator, ``grantor``) shares with ``grantee``."""

    model_config = ConfigDict(extra="forbid")

    grantee: str = Field(min_length=1, max_length=200)
    category: Category
    level: Level
    days: int = Field(default=365, ge=1, le=3650, description="How long it holds (unless valid_until is given).")
    valid_from: datetime | None = Field(default=None, description="When it starts (default: now; UTC if no offset).")
    valid_until: datetime | None = Field(default=None, description="When it ends, instead of days.")
    grantor: str | None = Field(default=None, max_length=200, description="Administrators only.")
    purpose: str = Field(default="sharing agreement", min_length=1, max_length=2000)


def visible_agreements(store: Store, caller: Principal) -> list[Agreement]:
    """The agreements the caller's organisation grants or receives (every agreement, for administrators)."""
    return list_agreements(store, None if caller.role == "admin" else caller.organisation)


def grant_as(
    store: Store, caller: Principal, grantee: str, category: str, level: str, *, grantor: str | None = None,
    days: int = 365, valid_from: datetime | None = None, valid_until: datetime | None = None,
    purpose: str = "sharing agreement",
) -> Agreement:
    """Grant access to the caller's organisation's data (administrators: ``grantor``'s); API and web pages."""
    if caller.role not in GRANTERS:
        raise PermissionDeniedError(f"the {caller.role} role cannot grant access (needs {' or '.join(GRANTERS)})")
    if grantor is not None and caller.role != "admin" and grantor != caller.organisation:
        raise PermissionDeniedError("only an administrator can grant access to another organisation's data")
    owner = grantor if grantor is not None else caller.organisation
    return grant(store, owner, grantee, category, level, by=caller.name, days=days, valid_from=valid_from,
                 valid_until=valid_until, purpose=purpose)


def revoke_as(store: Store, caller: Principal, agreement_id: int) -> Agreement:
    """Revoke an agreement the caller's organisation granted (administrators: any); API and web pages."""
    if caller.role not in GRANTERS:
        raise PermissionDeniedError(f"the {caller.role} role cannot revoke agreements (needs {' or '.join(GRANTERS)})")
    return revoke(store, agreement_id, by=caller.name, org=None if caller.role == "admin" else caller.organisation)


@router.get("/api/agreements", response_model=list[Agreement])
def agreements(caller: Caller, store: StoreDep) -> list[Agreement]:
    """The agreements the caller's organisation grants or receives (every agreement, for administrators)."""
    return visible_agreements(store, caller)


@router.post("/api/agreements", response_model=Agreement, status_code=201)
def create(body: AgreementRequest, caller: Granter, store: StoreDep) -> Agreement:
    """Grant access to the caller's organisation's data (analysts; administrators for any organisation)."""
    if body.valid_until is not None and "days" in body.model_fields_set:
        raise InputError("give either days or valid_until, not both")
    return grant_as(store, caller, body.grantee, body.category, body.level, grantor=body.grantor, days=body.days,
                    valid_from=body.valid_from, valid_until=body.valid_until, purpose=body.purpose)


@router.delete("/api/agreements/{agreement_id}", response_model=Agreement)
def remove(agreement_id: Annotated[int, Path(ge=1, lt=2**63)], caller: Granter, store: StoreDep) -> Agreement:
    """Revoke an agreement the caller's organisation granted (administrators: any), with immediate effect."""
    return revoke_as(store, caller, agreement_id)
