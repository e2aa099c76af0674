"""Uploading files in the browser: the form, the organisation's jobs, one job's validation report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import PermissionDeniedError
from ..server.deps import StoreDep
from ..server.jobs import get_job, list_jobs
from ..server.routes.uploads import queue_upload
from .auth import FormUser, WebUser
from .templating import render

router = APIRouter(include_in_schema=False)
UPLOADERS = ("contributor", "analyst", "admin")
FINISHED = {"stored", "already-ingested", "failed"}


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
) -> Response:
    """Queue the file for ingestion and show its job."""
    if user.role not in UPLOADERS:
        raise PermissionDeniedError(f"the {user.role} role cannot upload files")
    job = queue_upload(request, store, user, file, purpose)
    return RedirectResponse(f"/uploads/{job.id}", status_code=303)


@router.get("/uploads/{job_id}")
def job_page(
    request: Request, user: WebUser, store: StoreDep, job_id: Annotated[int, Path(ge=1, lt=2**63)]
) -> HTMLResponse:
    """One job: its status (refreshed until it ends) and the validation report."""
    job = get_job(store, job_id, user.organisation)
    partial = request.headers.get("HX-Request") == "true"
    return render(request, "job_status.html.j2" if partial else "job.html.j2", job=job,
                  finished=job.status in FINISHED)
