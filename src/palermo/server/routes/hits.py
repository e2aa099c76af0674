"""Hit/no-hit queries, the holder's inbox and its decisions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from ...link.hits import HitAnswer, Notice, ask, decide, inbox
from ..deps import Asker, Caller, Decider, StoreDep

router = APIRouter(tags=["hit/no-hit"])


class HitRequest(BaseModel):
    """A hit/no-hit query, in plaintext mode."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "phone", "email", "document", "bank_account"]
    purpose: str = Field(min_length=1, max_length=2000)
    query: dict[str, str] = Field(max_length=20)


class Decision(BaseModel):
    """The holder's decision on a notice."""

    model_config = ConfigDict(extra="forbid")

    disclose: bool
    note: str = Field(default="", max_length=2000)


@router.post("/api/hits", response_model=HitAnswer)
def hits(body: HitRequest, caller: Asker, store: StoreDep) -> HitAnswer:
    """Ask whether another organisation holds this person or identifier (contributors and analysts)."""
    return ask(
        store, org=caller.organisation, asked_by=caller.name, purpose=body.purpose, kind=body.kind, query=body.query
    )


@router.get("/api/inbox", response_model=list[Notice])
def notices(caller: Caller, store: StoreDep) -> list[Notice]:
    """Notices about records the caller's organisation holds."""
    return inbox(store, caller.organisation)


@router.post("/api/notices/{notice_id}/decision", response_model=Notice)
def decision(
    notice_id: Annotated[int, Path(ge=1, lt=2**63)], body: Decision, caller: Decider, store: StoreDep
) -> Notice:
    """Disclose or decline a notice of the caller's organisation (analysts and admins); final."""
    return decide(
        store, notice_id, org=caller.organisation, decided_by=caller.name, disclose=body.disclose, note=body.note
    )
