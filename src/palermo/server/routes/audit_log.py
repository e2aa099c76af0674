"""The audit log, for auditors: their organisation's entries and the state of the whole chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ... import audit
from ..deps import StoreDep, require
from ..identity import Principal

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require("auditor"))]


@router.get("/api/audit", response_model=list[audit.AuditEntry])
def entries(
    caller: Auditor,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    actor: Annotated[str | None, Query(max_length=200, description="only this user's entries")] = None,
    action: Annotated[str | None, Query(max_length=60, description="an action, or its start (admin: admin.*)")] = None,
    since: Annotated[datetime | None, Query(description="from this moment (inclusive; UTC if no offset)")] = None,
    until: Annotated[datetime | None, Query(description="before this moment (exclusive)")] = None,
    before: Annotated[int | None, Query(ge=1, lt=2**63, description="entries older than this id (next page)")] = None,
) -> list[audit.AuditEntry]:
    """The newest entries about the auditor's organisation's users, newest first, filtered."""
    return audit.entries(store, limit=limit, org=caller.organisation, actor=actor, action=action, since=since,
                         until=until, before=before)


@router.get("/api/audit/verify", response_model=audit.AuditReport)
def verify(_caller: Auditor, store: StoreDep) -> audit.AuditReport:
    """Walk the whole hash chain: ok, or the first entry edited, reordered or deleted."""
    return audit.verify(store)
