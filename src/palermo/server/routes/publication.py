"""Publication (admins): k-anonymous and differentially private releases, their files and the privacy budget.

Each ``POST`` makes one release through :mod:`palermo.publish.releases` (the same calls as the web pages),
which reads every stored case and so is audited (``cases.publish``) with the stated purpose. A release
takes a few seconds (about 3 s for 50 000 cases), so it runs in the request, on a worker thread.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ...publish.releases import (
    MEDIA_TYPES,
    Release,
    budget_overview,
    get_release,
    list_releases,
    media_type,
    publish_kanon,
    publish_synthetic,
    publish_table,
    release_file,
)
from ..deps import StoreDep, require
from ..identity import Principal

RELEASES = "/api/releases"
router = APIRouter(tags=["publication"])
Admin = Annotated[Principal, Depends(require("admin"))]
Name = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
FileName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Purpose = Field(min_length=1, max_length=2000, description="Why the cases are read for this release (audited).")
ReleaseName = Field(None, max_length=100, description="Name of the release (default: kind and time).")


class KAnonRequest(BaseModel):
    """A k-anonymous release."""

    purpose: str = Purpose
    k: int = Field(11, ge=2, le=1000, description="Smallest group of indistinguishable records.")
    quasi_identifiers: list[str] | None = Field(None, min_length=1, max_length=20)
    max_suppressed: float = Field(0.05, ge=0, lt=1, description="Largest share of records left out.")
    name: str | None = ReleaseName


class TableRequest(BaseModel):
    """A differentially private count table."""

    purpose: str = Purpose
    dims: list[str] = Field(min_length=1, max_length=5, description="Case columns to count by.")
    epsilon: float = Field(ge=0.01, le=100, description="Privacy loss ε this table spends.")
    delta: float | None = Field(None, gt=0, lt=1)
    name: str | None = ReleaseName


class SyntheticRequest(BaseModel):
    """Differentially private synthetic microdata (the marginals engine)."""

    purpose: str = Purpose
    epsilon: float = Field(ge=0.01, le=100, description="Privacy loss ε this release spends.")
    delta: float | None = Field(None, gt=0, lt=1)
    rows: int | None = Field(None, ge=1, le=100_000)
    name: str | None = ReleaseName


class ReleaseView(BaseModel):
    """A release, its figures and where to download its files."""

    name: str
    kind: str
    created_at: str
    created_by: str
    organisation: str
    purpose: str
    parameters: dict[str, Any]
    figures: dict[str, Any]
    files: list[str]
    epsilon: float | None
    delta: float | None
    links: dict[str, str]


class LedgerEntryView(BaseModel):
    """One release's spend of privacy budget."""

    id: int
    dataset: str
    release: str
    epsilon: float
    delta: float | None
    spent_at: datetime
    spent_by: str
    method: str
    parameters: dict[str, Any]


class BalanceView(BaseModel):
    """A dataset's budget."""

    dataset: str
    total_epsilon: float
    spent_epsilon: float
    remaining_epsilon: float
    spent_delta: float
    releases: int


class BudgetView(BaseModel):
    """The privacy-budget ledger and every dataset's balance."""

    ledger: list[LedgerEntryView]
    balances: list[BalanceView]


def view(release: Release) -> ReleaseView:
    """A release with the links to its files."""
    base = f"{RELEASES}/{release.name}"
    links = {"self": base, **{f: f"{base}/files/{f}" for f in release.files}}
    return ReleaseView(**asdict(release), links=links)


@router.get(RELEASES, response_model=list[ReleaseView])
def releases(caller: Admin) -> list[ReleaseView]:
    """The releases made so far, newest first (admins)."""
    return [view(r) for r in list_releases()]


@router.post(f"{RELEASES}/kanon", status_code=201, response_model=ReleaseView)
def create_kanon(body: KAnonRequest, caller: Admin, store: StoreDep, response: Response) -> ReleaseView:
    """Publish k-anonymous microdata of the stored cases (admins; audited)."""
    made = publish_kanon(store, actor=caller.name, org=caller.organisation, purpose=body.purpose, k=body.k,
                         quasi_identifiers=body.quasi_identifiers, max_suppressed=body.max_suppressed,
                         name=body.name)
    response.headers["Location"] = f"{RELEASES}/{made.name}"
    return view(made)


@router.post(f"{RELEASES}/table", status_code=201, response_model=ReleaseView)
def create_table(body: TableRequest, caller: Admin, store: StoreDep, response: Response) -> ReleaseView:
    """Publish a differentially private count table; spends ε of the budget (admins; audited)."""
    made = publish_table(store, actor=caller.name, org=caller.organisation, purpose=body.purpose, dims=body.dims,
                         epsilon=body.epsilon, delta=body.delta, name=body.name)
    response.headers["Location"] = f"{RELEASES}/{made.name}"
    return view(made)


@router.post(f"{RELEASES}/synthetic", status_code=201, response_model=ReleaseView)
def create_synthetic(body: SyntheticRequest, caller: Admin, store: StoreDep, response: Response) -> ReleaseView:
    """Publish differentially private synthetic microdata; spends ε of the budget (admins; audited)."""
    made = publish_synthetic(store, actor=caller.name, org=caller.organisation, purpose=body.purpose,
                             epsilon=body.epsilon, delta=body.delta, rows=body.rows,
                             name=body.name)
    response.headers["Location"] = f"{RELEASES}/{made.name}"
    return view(made)


@router.get(f"{RELEASES}/{{name}}", response_model=ReleaseView)
def release(name: Name, caller: Admin) -> ReleaseView:
    """One release (admins)."""
    return view(get_release(name))


@router.get(f"{RELEASES}/{{name}}/files/{{file}}", response_class=FileResponse,
            responses={200: {"content": {media: {} for media in MEDIA_TYPES}}})
def release_download(name: Name, file: FileName, caller: Admin) -> FileResponse:
    """One of a release's files, as a download (admins)."""
    return FileResponse(release_file(name, file), media_type=media_type(file), filename=file)


@router.get("/api/privacy-budget", response_model=BudgetView)
def privacy_budget(caller: Admin, store: StoreDep) -> BudgetView:
    """The privacy-budget ledger (a synthetic release's seed left out) and what each dataset has left (admins)."""
    overview = budget_overview(store)
    return BudgetView(
        ledger=[LedgerEntryView(**asdict(e)) for e in overview.entries],
        balances=[BalanceView(dataset=b.dataset, total_epsilon=b.total_epsilon, spent_epsilon=b.spent_epsilon,
                              remaining_epsilon=b.remaining_epsilon, spent_delta=b.spent_delta, releases=b.releases)
                  for b in overview.balances],
    )
