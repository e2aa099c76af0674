"""Uploads: a partner file sent to the API becomes an ingest job, run in the background.

``POST /api/uploads`` (multipart: ``file``, ``purpose``, optionally ``mapping`` and ``check_only``)
answers 202 with the queued job at once; the file is ingested for the caller's organisation in a worker
process (:mod:`..job_runner`), so a long ingestion never holds up other requests. ``GET /api/uploads/{id}``
gives the job's status and, once it has run, the same validation report as ``palermo ingest``;
``GET /api/uploads`` lists the jobs. ``GET /api/uploads/{id}/mapping`` shows the job's mapping column
by column (or a suggestion when no layout was recognised) and ``POST /api/uploads/{id}/rerun`` runs the
job's kept file again with an edited mapping, as a new job. A mapping is ``{source column: field}``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI, Form, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from ...errors import InputError
from ...ingest.columns import edited_crosswalk
from ...settings import Settings
from ...standard.crosswalk import Crosswalk
from ...store.db import Store
from ..deps import Caller, StoreDep, require
from ..identity import Principal
from ..job_runner import JobRunner
from ..jobs import Job, Upload, list_jobs, read_job, save_upload, submit_job
from ..reruns import JobMapping, job_mapping, prepare_rerun

UPLOADS = "/api/uploads"


@asynccontextmanager
async def _runner(app: FastAPI) -> AsyncIterator[None]:
    """The app's upload workers: started with it; at shutdown running jobs finish, queued ones fail."""
    settings: Settings = app.state.settings
    app.state.uploads = JobRunner(settings.upload_workers)
    if app.state.owns_store:  # a serving app, not one under test: start the workers, take up orphaned jobs
        app.state.uploads.warm_up(app.state.store)
        app.state.uploads.watch(app.state.store, settings)
    try:
        yield
    finally:
        await to_thread.run_sync(app.state.uploads.close)


router = APIRouter(tags=["uploads"], lifespan=_runner)
Uploader = Annotated[Principal, Depends(require("contributor", "analyst", "admin"))]
"""Contributors, analysts and admins: upload files of their organisation."""


Mapping = dict[str, str | None]
"""Source column -> the standard field it fills (``null`` or absent: no field, kept as extra)."""


class JobView(Job):
    """A job with where to follow it."""

    links: dict[str, str]


class Rerun(BaseModel):
    """Run a job's kept file again."""

    purpose: str = Field(min_length=1, max_length=2000)
    mapping: Mapping | None = None
    """The edited mapping; absent: the mapping the job applied."""
    check_only: bool = False
    """Only check the file with the mapping; store nothing."""


def _view(job: Job, *, with_report: bool = True) -> JobView:
    fields = job.model_dump()
    if not with_report:
        fields["report"] = None
    return JobView(
        **fields, links={"self": f"{UPLOADS}/{job.id}", "mapping": f"{UPLOADS}/{job.id}/mapping"}
    )


def parse_mapping(text: str | None) -> Mapping | None:
    """A mapping given as a JSON object in a form field (``None`` when empty)."""
    if text is None or not text.strip():
        return None
    try:
        found = json.loads(text)
    except ValueError:
        raise InputError("mapping must be a JSON object of source column -> field") from None
    if not isinstance(found, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in found.items()
    ):
        raise InputError("mapping must be a JSON object of source column -> field (or null)")
    return found


@router.post(UPLOADS, status_code=202, response_model=JobView)
def upload(
    file: UploadFile,
    purpose: Annotated[str, Form(min_length=1, max_length=2000)],
    caller: Uploader,
    store: StoreDep,
    request: Request,
    response: Response,
    mapping: Annotated[
        str | None, Form(max_length=200_000, description="JSON object: source column -> field (else recognised)")
    ] = None,
    check_only: Annotated[bool, Form(description="Only check the file; store nothing")] = False,
) -> JobView:
    """Queue a file (CSV, XLSX, JSON, NDJSON) for ingestion by the caller's organisation; follow ``links.self``."""
    choices = parse_mapping(mapping)
    crosswalk = None if choices is None else edited_crosswalk(choices)
    job = queue_upload(request, store, caller, file, purpose, crosswalk=crosswalk, check_only=check_only)
    response.headers["Location"] = f"{UPLOADS}/{job.id}"
    return _view(job)


def _start(
    request: Request, store: Store, caller: Principal, upload: Upload, name: str | None, purpose: str,
    crosswalk: Crosswalk | None, check_only: bool,
) -> Job:
    if not purpose.strip():
        upload.discard()
        raise InputError("purpose must say why the file is uploaded")
    settings: Settings = request.app.state.settings
    try:
        job = submit_job(
            store, org=caller.organisation, submitted_by=caller.name, file_name=name, file_bytes=upload.size,
            purpose=purpose.strip(), dry_run=check_only, crosswalk=crosswalk, lease_seconds=settings.job_lease_seconds,
        )
    except BaseException:
        upload.discard()
        raise
    runner: JobRunner = request.app.state.uploads
    runner.start(
        store, job, upload, purpose=purpose.strip(), settings=settings, crosswalk=crosswalk, dry_run=check_only
    )
    return job


def queue_upload(
    request: Request, store: Store, caller: Principal, file: UploadFile, purpose: str, *,
    crosswalk: Crosswalk | None = None, check_only: bool = False,
) -> Job:
    """Save an uploaded file and queue its ingestion for the caller's organisation (API and web pages)."""
    if not purpose.strip():
        raise InputError("purpose must say why the file is uploaded")
    settings: Settings = request.app.state.settings
    saved = save_upload(file.file, file.filename, max_bytes=settings.max_file_bytes)
    return _start(request, store, caller, saved, file.filename, purpose, crosswalk, check_only)


def queue_rerun(
    request: Request, store: Store, caller: Principal, job_id: int, purpose: str, *,
    mapping: Mapping | None, check_only: bool,
) -> Job:
    """Queue job ``job_id``'s kept file again, with ``mapping`` (else the same one), as a new job (API and pages)."""
    if not purpose.strip():
        raise InputError("purpose must say why the file is run again")
    earlier, upload, crosswalk = prepare_rerun(store, job_id, caller.organisation, mapping)
    return _start(request, store, caller, upload, earlier.file_name, purpose, crosswalk, check_only)


@router.post(f"{UPLOADS}/{{job_id}}/rerun", status_code=202, response_model=JobView)
def rerun(
    job_id: Annotated[int, Path(ge=1, lt=2**63)],
    body: Rerun,
    caller: Uploader,
    store: StoreDep,
    request: Request,
    response: Response,
) -> JobView:
    """Run a job's kept file again (with an edited mapping) as a new job; a file already stored is only checked."""
    job = queue_rerun(request, store, caller, job_id, body.purpose, mapping=body.mapping,
                      check_only=body.check_only)
    response.headers["Location"] = f"{UPLOADS}/{job.id}"
    return _view(job)


@router.get(f"{UPLOADS}/{{job_id}}/mapping", response_model=JobMapping)
def upload_mapping(job_id: Annotated[int, Path(ge=1, lt=2**63)], caller: Caller, store: StoreDep) -> JobMapping:
    """A job's mapping column by column (or a suggestion, with its confidence, when no layout was recognised)."""
    return job_mapping(store, job_id, caller.organisation)


@router.get(f"{UPLOADS}/{{job_id}}", response_model=JobView)
def upload_job(job_id: Annotated[int, Path(ge=1, lt=2**63)], caller: Caller, store: StoreDep) -> JobView:
    """One job of the caller's organisation: its status and, once run, its validation report (audited when it
    lists refused values)."""
    return _view(read_job(store, job_id, caller.organisation, actor=caller.name))


@router.get(UPLOADS, response_model=list[JobView])
def upload_jobs(
    caller: Caller, store: StoreDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[JobView]:
    """The caller's organisation's newest jobs (without their reports), newest first."""
    return [_view(job, with_report=False) for job in list_jobs(store, caller.organisation, limit=limit)]
