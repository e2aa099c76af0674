"""Uploads: a partner file sent to the API becomes an ingest job, run in the background.

``POST /api/uploads`` (multipart: ``file`` and ``purpose``) answers 202 with the queued job at once;
the file is ingested for the caller's organisation on a few worker threads of their own, so a long
ingestion never holds up other requests. ``GET /api/uploads/{id}`` gives the job's status and, once
it has run, the same validation report as ``palermo ingest``; ``GET /api/uploads`` lists the jobs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request, Response, UploadFile

from ...errors import InputError
from ...settings import Settings
from ...store.db import Store
from ..deps import Caller, StoreDep, require
from ..identity import Principal
from ..jobs import Job, JobRunner, get_job, list_jobs, save_upload, submit_job

UPLOADS = "/api/uploads"


@asynccontextmanager
async def _runner(app: FastAPI) -> AsyncIterator[None]:
    """The app's upload workers: started with it; at shutdown running jobs finish, queued ones fail."""
    settings: Settings = app.state.settings
    app.state.uploads = JobRunner(settings.upload_workers)
    try:
        yield
    finally:
        await to_thread.run_sync(app.state.uploads.close)


router = APIRouter(tags=["uploads"], lifespan=_runner)
Uploader = Annotated[Principal, Depends(require("contributor", "analyst", "admin"))]
"""Contributors, analysts and admins: upload files of their organisation."""


class JobView(Job):
    """A job with where to follow it."""

    links: dict[str, str]


def _view(job: Job, *, with_report: bool = True) -> JobView:
    fields = job.model_dump()
    if not with_report:
        fields["report"] = None
    return JobView(**fields, links={"self": f"{UPLOADS}/{job.id}"})


@router.post(UPLOADS, status_code=202, response_model=JobView)
def upload(
    file: UploadFile,
    purpose: Annotated[str, Form(min_length=1, max_length=2000)],
    caller: Uploader,
    store: StoreDep,
    request: Request,
    response: Response,
) -> JobView:
    """Queue a file (CSV, XLSX, JSON, NDJSON) for ingestion by the caller's organisation; follow ``links.self``."""
    job = queue_upload(request, store, caller, file, purpose)
    response.headers["Location"] = f"{UPLOADS}/{job.id}"
    return _view(job)


def queue_upload(request: Request, store: Store, caller: Principal, file: UploadFile, purpose: str) -> Job:
    """Save an uploaded file and queue its ingestion for the caller's organisation (API and web pages)."""
    if not purpose.strip():
        raise InputError("purpose must say why the file is uploaded")
    settings: Settings = request.app.state.settings
    saved = save_upload(file.file, file.filename, max_bytes=settings.max_file_bytes)
    try:
        job = submit_job(
            store, org=caller.organisation, submitted_by=caller.name, file_name=file.filename, file_bytes=saved.size
        )
    except BaseException:
        saved.discard()
        raise
    runner: JobRunner = request.app.state.uploads
    runner.start(store, job, saved, purpose=purpose.strip(), settings=settings)
    return job


@router.get(f"{UPLOADS}/{{job_id}}", response_model=JobView)
def upload_job(job_id: Annotated[int, Path(ge=1, lt=2**63)], caller: Caller, store: StoreDep) -> JobView:
    """One job of the caller's organisation: its status and, once run, its validation report."""
    return _view(get_job(store, job_id, caller.organisation))


@router.get(UPLOADS, response_model=list[JobView])
def upload_jobs(
    caller: Caller, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[JobView]:
    """The caller's organisation's newest jobs (without their reports), newest first."""
    return [_view(job, with_report=False) for job in list_jobs(store, caller.organisation, limit=limit)]
