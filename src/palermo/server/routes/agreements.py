"""Sharing agreements: an organisation grants another a level of access to a category of its data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from ...errors import PermissionDeniedError
from ...store.agreements import Agreement, Category, Level, grant, list_agreements, revoke
from ..deps import Caller, StoreDep, require
from ..identity import Principal

router = APIRouter(tags=["sharing agreements"])
Granter = Annotated[Principal, Depends(require("analyst", "admin"))]


class AgreementRequest(BaseModel):
    """A grant: the caller's organisation (or, for an administrator, ``grantor``) shares with ``grantee``."""

    model_config = ConfigDict(extra="forbid")

    grantee: str = Field(min_length=1, max_length=200)
    category: Category
    level: Level
    days: int = Field(default=365, ge=1, le=3650)
    grantor: str | None = Field(default=None, max_length=200, description="Administrators only.")
    purpose: str = Field(default="sharing agreement", min_length=1, max_length=2000)


@router.get("/api/agreements", response_model=list[Agreement])
def agreements(caller: Caller, store: StoreDep) -> list[Agreement]:
    """The agreements the caller's organisation grants or receives (every agreement, for administrators)."""
    return list_agreements(store, None if caller.role == "admin" else caller.organisation)


@router.post("/api/agreements", response_model=Agreement, status_code=201)
def create(body: AgreementRequest, caller: Granter, store: StoreDep) -> Agreement:
    """Grant access to the caller's organisation's data (analysts; administrators for any organisation)."""
    if body.grantor is not None and caller.role != "admin" and body.grantor != caller.organisation:
        raise PermissionDeniedError("only an administrator can grant access to another organisation's data")
    grantor = body.grantor if body.grantor is not None else caller.organisation
    return grant(
        store, grantor, body.grantee, body.category, body.level, by=caller.name, days=body.days, purpose=body.purpose
    )


@router.delete("/api/agreements/{agreement_id}", response_model=Agreement)
def remove(agreement_id: Annotated[int, Path(ge=1, lt=2**63)], caller: Granter, store: StoreDep) -> Agreement:
    """Revoke an agreement the caller's organisation granted (administrators: any), with immediate effect."""
    return revoke(store, agreement_id, by=caller.name, org=None if caller.role == "admin" else caller.organisation)
