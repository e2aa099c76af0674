"""A job's mapping, column by column, and running its kept file again with an edited mapping.

:func:`job_mapping` gives the mapping a job applied (or, when no layout was recognised, the one
:func:`~palermo.ingest.suggest.suggest_columns` drafts from the kept file, with its confidence) and
whether the organisation already stored the file. :func:`prepare_rerun` checks an edited mapping
against the file's columns and copies the kept file for a new job. A file the organisation already
stored is never stored again: a re-run of it can only check it (``dry-run``), and the rows stored the
first time stay as they were stored. No FastAPI here: the API and the web pages share these calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from ..errors import ConflictError, PalermoError
from ..ingest.columns import ColumnMapping, edited_crosswalk
from ..ingest.pipeline import file_sha256
from ..ingest.readers import read_table
from ..ingest.suggest import suggest_columns
from ..standard.crosswalk import Crosswalk
from ..store.bulk import find_batch
from ..store.db import Store
from ..store.orgs import get_organisation
from .jobs import FINISHED, Job, Upload, copy_upload, get_job
from .kept_files import KEEP_HOURS, kept_file, kept_until


class JobMapping(BaseModel):
    """The mapping of a job's file, column by column."""

    job: int
    source: Literal["applied", "suggested", "none"]
    """``applied``: the job's own; ``suggested``: drafted from the kept file (no layout was recognised);
    ``none``: neither is known (the job has not run, or its file could not be read and is gone)."""
    layout: str | None
    columns: list[ColumnMapping]
    file_kept: bool
    """Whether the file is still kept, so that the job can be run again."""
    kept_until: datetime | None
    stored_batch: int | None
    """The batch in which the organisation already stored this file, if any: it is not stored again."""


def job_mapping(store: Store, job_id: int, org: str) -> JobMapping:
    """Job ``job_id``'s mapping (of ``org``'s jobs only) and what a re-run of it can do."""
    job = get_job(store, job_id, org)
    kept = kept_file(store, job.id) if job.status in FINISHED else None
    sha = job.report.sha256 if job.report is not None else (file_sha256(kept) if kept is not None else None)
    stored = None if sha is None else find_batch(store, get_organisation(store, org).id, sha)
    source: Literal["applied", "suggested", "none"] = "none"
    columns: list[ColumnMapping] = []
    layout = None
    if job.report is not None and job.report.columns:
        source, columns, layout = "applied", job.report.columns, job.report.layout
    elif kept is not None:
        try:
            columns = suggest_columns(read_table(kept))
            source = "suggested"
        except PalermoError:
            columns = []  # an unreadable file: the job's error says why
    return JobMapping(
        job=job.id, source=source, layout=layout, columns=columns, file_kept=kept is not None,
        kept_until=None if kept is None else kept_until(kept), stored_batch=stored,
    )


def prepare_rerun(
    store: Store, job_id: int, org: str, choices: dict[str, str | None] | None
) -> tuple[Job, Upload, Crosswalk | None]:
    """Job ``job_id``, a fresh copy of its kept file and the mapping to run it with.

    ``choices`` (``{source column: field or null}``, every column not named keeping no field) edits the
    mapping the job applied; ``None`` runs the same mapping again (or recognises the layout again).
    """
    job = get_job(store, job_id, org)
    if job.status not in FINISHED:
        raise ConflictError(f"upload job {job.id} is {job.status}; wait until it has run")
    kept = kept_file(store, job.id)
    if kept is None:
        raise ConflictError(
            f"the file of upload job {job.id} is no longer kept (files are kept {KEEP_HOURS} hours after "
            "their job ran); upload it again"
        )
    crosswalk = job.crosswalk
    if choices is not None:
        columns = job.report.columns if job.report is not None and job.report.columns else None
        names = [c.column for c in columns] if columns else read_table(kept).columns
        crosswalk = edited_crosswalk(choices, job.crosswalk, names)
    return job, copy_upload(kept), crosswalk
