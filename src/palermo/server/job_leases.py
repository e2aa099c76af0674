"""Leases on upload jobs: a job whose server died runs again, from its kept file, on a server still up.

A job records, when it is queued, what is needed to run it again (its purpose, whether it only checks
the file, the mapping it was asked to apply) and a lease: the time until which the server that queued
it answers for it. That server renews the lease while it holds the job (queued or running in its
workers). A server serving the store claims the jobs whose lease ran out (their server was killed,
or the machine stopped) and runs them again; one whose file is no longer kept fails with a message to
upload it again. An ingestion stores its rows in one transaction and a file is never stored twice by
one organisation (a unique key), so running a job again neither loses nor doubles a row. No FastAPI here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update

from ..standard.crosswalk import Crosswalk
from ..store.db import Store
from ..store.schema import ingest_job

UNFINISHED = ("queued", "running")
CLAIM_AT_ONCE = 100
"""Jobs one look claims at most (the next look takes the rest)."""


@dataclass(frozen=True)
class Orphan:
    """A job claimed after its server died, and how to run it again."""

    job_id: int
    purpose: str
    dry_run: bool
    crosswalk: Crosswalk | None


def lease_end(seconds: float) -> datetime:
    """The end of a lease taken now."""
    return datetime.now(UTC) + timedelta(seconds=seconds)


def renew(store: Store, job_ids: Collection[int], seconds: float) -> None:
    """Extend the leases of the unfinished jobs among ``job_ids`` (the jobs this server holds)."""
    if not job_ids:
        return
    with store.engine.begin() as conn:
        conn.execute(
            update(ingest_job)
            .where(ingest_job.c.id.in_(sorted(job_ids)), ingest_job.c.status.in_(UNFINISHED))
            .values(lease_until=lease_end(seconds))
        )


def claim_orphans(store: Store, seconds: float) -> list[Orphan]:
    """Claim the unfinished jobs whose lease ran out (queued again, under a new lease): the caller runs them.

    Each job is claimed by one conditional UPDATE, so two servers looking at once never both take it.
    """
    cols = ingest_job.c
    now = datetime.now(UTC)
    expired = or_(cols.lease_until.is_(None), cols.lease_until < now)
    with store.engine.connect() as conn:
        found = conn.execute(
            select(cols.id).where(cols.status.in_(UNFINISHED), expired).order_by(cols.id).limit(CLAIM_AT_ONCE)
        ).scalars().all()
    claimed: list[Orphan] = []
    for job_id in found:
        with store.engine.begin() as conn:
            row = conn.execute(
                update(ingest_job)
                .where(cols.id == job_id, cols.status.in_(UNFINISHED), expired)
                .values(status="queued", started_at=None, lease_until=lease_end(seconds))
                .returning(cols.purpose, cols.dry_run, cols.requested_crosswalk)
            ).first()
        if row is not None:
            crosswalk = None if row.requested_crosswalk is None else Crosswalk.model_validate(row.requested_crosswalk)
            claimed.append(Orphan(int(job_id), row.purpose or "upload run again after a server stopped",
                                  bool(row.dry_run), crosswalk))
    return claimed
