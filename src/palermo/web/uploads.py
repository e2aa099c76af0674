"""Uploading files in the browser: the form, the organisation's jobs, one job's report and its mapping.

A finished job's page shows the mapping column by column (the one applied, or a suggestion with its
confidence when no layout was recognised) in a form: the user changes the field of any column and
runs the kept file again, checking only or storing, as a new job (the same library calls as
``POST /api/uploads/{id}/rerun``). A file the organisation already stored is only checked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import ConflictError, InputError, NotFoundError, PalermoError, PermissionDeniedError
from ..ingest.columns import ColumnMapping, mappable_fields
from ..server.deps import StoreDep
from ..server.identity import Principal
from ..server.jobs import FINISHED, Job, get_job, list_jobs, read_job
from ..server.kept_files import KEEP_HOURS
from ..server.reruns import JobMapping, job_mapping
from ..server.routes.uploads import queue_rerun, queue_upload
from ..store.db import Store
from .auth import FormUser, WebUser
from .templating import render

router = APIRouter(include_in_schema=False)
UPLOADERS = ("contributor", "analyst", "admin")
NO_FIELD = ""
"""The select list's value for "no field: keep the column as extra"."""
_STATUS: dict[type[PalermoError], int] = {InputError: 422, NotFoundError: 404, ConflictError: 409,
                                          PermissionDeniedError: 403}


@router.get("/uploads")
def uploads_page(request: Request, user: WebUser, store: StoreDep) -> HTMLResponse:
    """The upload form (for those who may upload) and the organisation's jobs."""
    return render(request, "uploads.html.j2", jobs=list_jobs(store, user.organisation, limit=50),
                  may_upload=user.role in UPLOADERS)


@router.post("/uploads")
def upload(
    request: Request,
    store: StoreDep,
    user: FormUser,
    file: UploadFile,
    purpose: Annotated[str, Form(max_length=2000)] = "",
    check_only: Annotated[bool, Form()] = False,
) -> Response:
    """Queue the file for ingestion (or a check only) and show its job."""
    if user.role not in UPLOADERS:
        raise PermissionDeniedError(f"the {user.role} role cannot upload files")
    job = queue_upload(request, store, user, file, purpose, check_only=check_only)
    return RedirectResponse(f"/uploads/{job.id}", status_code=303)


def _job_page(
    request: Request, store: Store, user: Principal, job: Job, *, partial: bool = False, status: int = 200,
    error: str | None = None, choices: list[ColumnMapping] | None = None, purpose: str = "",
) -> HTMLResponse:
    finished = job.status in FINISHED
    mapping: JobMapping | None = job_mapping(store, job.id, user.organisation) if finished else None
    columns = mapping.columns if mapping is not None else []
    if choices is not None:  # the user's choices, shown again with the suggestion's confidence where kept
        shown = {c.column: c for c in columns}
        columns = [c.model_copy(update={"confidence": shown[c.column].confidence})
                   if c.column in shown and shown[c.column].field == c.field else c for c in choices]
    chosen = [c.field for c in columns if c.field]
    twice = {f for f in chosen if chosen.count(f) > 1} if error else set()
    return render(
        request, "job_status.html.j2" if partial else "job.html.j2", status=status, job=job, finished=finished,
        mapping=mapping, columns=columns, fields=mappable_fields(), twice=twice, no_field=NO_FIELD, error=error,
        may_rerun=user.role in UPLOADERS, keep_hours=KEEP_HOURS,
        purpose=purpose or f"run upload {job.id} again with an edited mapping",
    )


@router.get("/uploads/{job_id}")
def job_page(
    request: Request, user: WebUser, store: StoreDep, job_id: Annotated[int, Path(ge=1, lt=2**63)]
) -> HTMLResponse:
    """One job: its status (refreshed until it ends), the validation report and the mapping to edit."""
    job = read_job(store, job_id, user.organisation, actor=user.name)
    return _job_page(request, store, user, job, partial=request.headers.get("HX-Request") == "true")


@router.post("/uploads/{job_id}/rerun")
def rerun(
    request: Request,
    store: StoreDep,
    user: FormUser,
    job_id: Annotated[int, Path(ge=1, lt=2**63)],
    column: Annotated[list[str], Form()],
    field: Annotated[list[str], Form()],
    purpose: Annotated[str, Form(max_length=2000)] = "",
    action: Annotated[str, Form()] = "check",
) -> Response:
    """Run the job's kept file again with the mapping as edited in the form; show the new job."""
    job = get_job(store, job_id, user.organisation)
    if user.role not in UPLOADERS:
        raise PermissionDeniedError(f"the {user.role} role cannot upload files")
    choices = [ColumnMapping(column=c, field=f or None) for c, f in zip(column, field, strict=False)]
    try:
        if len(column) != len(field):
            raise InputError("the form lost some of its columns; reload the page and try again")
        new = queue_rerun(request, store, user, job.id, purpose,
                          mapping={c.column: c.field for c in choices}, check_only=action != "store")
    except PalermoError as exc:
        return _job_page(request, store, user, job, status=_STATUS.get(type(exc), 400), error=exc.message,
                         choices=choices, purpose=purpose)
    return RedirectResponse(f"/uploads/{new.id}", status_code=303)
