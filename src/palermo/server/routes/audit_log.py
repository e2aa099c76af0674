"""The audit log, for auditors: their organisation's entries and the state of the whole chain."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ... import audit
from ..deps import StoreDep, require
from ..identity import Principal

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require("auditor"))]


@router.get("/api/audit", response_model=list[audit.AuditEntry])
def entries(
    caller: Auditor, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[audit.AuditEntry]:
    """The newest entries about the auditor's organisation's users, newest first."""
    return audit.entries(store, limit=limit, org=caller.organisation)


@router.get("/api/audit/verify", response_model=audit.AuditReport)
def verify(_caller: Auditor, store: StoreDep) -> audit.AuditReport:
    """Walk the whole hash chain: ok, or the first entry edited, reordered or deleted."""
    return audit.verify(store)
