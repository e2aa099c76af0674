"""Upload jobs: a file sent to the API is saved under a safe temporary name and ingested in the background.

The uploaded file's name is only ever shown (in the job, the report, messages and the batch), never
used in a path: the bytes go to ``upload`` plus a whitelisted suffix in a fresh temporary directory,
which is deleted once the job has run. A job moves from ``queued`` to ``running`` to ``stored``,
``dry-run`` (checked only), ``already-ingested`` or ``failed`` (with the error's code and message);
its report is the one ``palermo ingest`` gives, with the mapping applied column by column.

A job may be given a mapping (else the layout is recognised) and may only check the file. Jobs run
in worker processes (:mod:`.job_runner`), which also keeps a copy of each file for a day
(:mod:`.kept_files`) so that it can be run again with an edited mapping (:mod:`.reruns`); a file
already stored by the organisation is never stored twice. Each finished
job is written to the audit log (``cases.write``) in the same transaction as its outcome. A job is
visible to its own organisation only. No FastAPI here.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Row, insert, select, update

from .. import audit
from ..errors import ConfigurationError, ConflictError, InputError, NotFoundError, PalermoError
from ..ingest.pipeline import ingest_file
from ..ingest.report import FileReport
from ..settings import Settings
from ..standard.crosswalk import Crosswalk
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import ingest_job, organisation
from .job_leases import lease_end

log = logging.getLogger(__name__)

SAFE_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".json", ".jsonl", ".xlsx"})
"""Suffixes kept on the saved file (the readers look at content first, the suffix second); others are dropped."""
MAX_NAME_CHARS = 255
MAX_REPORT_PROBLEMS = 1000
"""Refused values kept in a job's report; all of them stay in the quarantine (``palermo rejected``)."""
_CHUNK = 1 << 20
_TOTAL_KEY = "problems_total"
_CROSSWALK_KEY = "crosswalk"

JobStatus = Literal["queued", "running", "stored", "dry-run", "already-ingested", "failed"]
FINISHED: frozenset[str] = frozenset({"stored", "dry-run", "already-ingested", "failed"})


class JobError(BaseModel):
    """Why a job failed."""

    code: str
    message: str


class Job(BaseModel):
    """One uploaded file and what became of it."""

    id: int
    organisation: str
    submitted_by: str
    file_name: str
    """The uploaded file's name as given (control characters escaped); never used as a path."""
    file_bytes: int
    status: JobStatus
    submitted_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    batch_id: int | None = None
    report: FileReport | None = None
    problems_total: int | None = None
    """Refused values in the whole file; the report lists at most the first 1000."""
    error: JobError | None = None
    crosswalk: Crosswalk | None = Field(default=None, exclude=True)
    """The mapping the job applied (kept to edit it; not part of the job's JSON)."""
    purpose: str | None = Field(default=None, exclude=True)
    """Why the file was uploaded, as stated (not part of the job's JSON)."""


@dataclass(frozen=True)
class Upload:
    """An uploaded file saved under a safe name in its own temporary directory."""

    directory: Path
    path: Path
    size: int

    def discard(self) -> None:
        """Delete the file and its directory."""
        shutil.rmtree(self.directory, ignore_errors=True)


def shown_name(name: str | None) -> str:
    """The uploaded file's name for display: control and format characters escaped, at most 255 characters."""
    if not name:
        return "upload"
    shown = "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
        else ch
        for ch in name[: MAX_NAME_CHARS * 2]
    )
    return shown[:MAX_NAME_CHARS]


def safe_suffix(name: str | None) -> str:
    """The name's suffix if it is one of :data:`SAFE_SUFFIXES`, else ``""``."""
    found = re.search(r"\.[A-Za-z0-9]{1,5}$", name or "")
    suffix = found.group(0).lower() if found else ""
    return suffix if suffix in SAFE_SUFFIXES else ""


def save_upload(source: BinaryIO, name: str | None, *, max_bytes: int | None = None) -> Upload:
    """Copy an uploaded file to ``upload<suffix>`` in a fresh temporary directory; refuse it past ``max_bytes``."""
    directory = Path(tempfile.mkdtemp(prefix="palermo-upload-"))
    path = directory / f"upload{safe_suffix(name)}"
    size = 0
    try:
        with path.open("xb") as out:
            while chunk := source.read(_CHUNK):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise InputError(f"is more than the limit of {max_bytes:,} bytes", file=shown_name(name))
                out.write(chunk)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Upload(directory, path, size)


def copy_upload(source: Path) -> Upload:
    """A copy of ``source`` (a kept file) in a fresh temporary directory, for a job of its own."""
    directory = Path(tempfile.mkdtemp(prefix="palermo-upload-"))
    path = directory / source.name
    try:
        shutil.copyfile(source, path)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return Upload(directory, path, path.stat().st_size)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _query() -> Any:
    return select(ingest_job, organisation.c.name.label("org_name")).select_from(
        ingest_job.join(organisation, organisation.c.id == ingest_job.c.org_id)
    )


def _job(row: Row[Any]) -> Job:
    m = row._mapping
    report, total, crosswalk = None, None, None
    if m["report"] is not None:
        stored = dict(m["report"])
        total = stored.pop(_TOTAL_KEY, None)
        used = stored.pop(_CROSSWALK_KEY, None)
        crosswalk = None if used is None else Crosswalk.model_validate(used)
        report = FileReport.model_validate(stored)
        total = len(report.problems) if total is None else int(total)
    submitted = _aware(m["submitted_at"])
    assert submitted is not None
    return Job(
        id=int(m["id"]), organisation=m["org_name"], submitted_by=m["submitted_by"], file_name=m["file_name"],
        file_bytes=int(m["file_bytes"]), status=m["status"], submitted_at=submitted,
        started_at=_aware(m["started_at"]), finished_at=_aware(m["finished_at"]),
        batch_id=None if m["batch_id"] is None else int(m["batch_id"]), report=report, problems_total=total,
        error=None if m["error"] is None else JobError.model_validate(m["error"]), crosswalk=crosswalk,
        purpose=m["purpose"],
    )


def _load(store: Store, job_id: int, org_id: int | None = None) -> Job:
    query = _query().where(ingest_job.c.id == job_id)
    if org_id is not None:
        query = query.where(ingest_job.c.org_id == org_id)
    with store.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(f"no upload job {job_id}")
    return _job(row)


def submit_job(
    store: Store,
    *,
    org: str,
    submitted_by: str,
    file_name: str | None,
    file_bytes: int,
    purpose: str | None = None,
    dry_run: bool = False,
    crosswalk: Crosswalk | None = None,
    lease_seconds: float = 60.0,
) -> Job:
    """Record a queued job for ``org``'s upload of ``file_name`` (as given; it is escaped for display), with
    what is needed to run it again and a lease of ``lease_seconds`` (see :mod:`.job_leases`)."""
    org_id = get_organisation(store, org).id
    values = {"org_id": org_id, "submitted_by": submitted_by, "file_name": shown_name(file_name),
              "file_bytes": file_bytes, "status": "queued", "submitted_at": datetime.now(UTC),
              "purpose": purpose, "dry_run": dry_run, "lease_until": lease_end(lease_seconds),
              "requested_crosswalk": None if crosswalk is None else crosswalk.model_dump(mode="json")}
    with store.engine.begin() as conn:
        job_id = conn.execute(insert(ingest_job).returning(ingest_job.c.id), values).scalar_one()
    return _load(store, int(job_id))


def get_job(store: Store, job_id: int, org: str) -> Job:
    """Job ``job_id`` of ``org``; another organisation's job is not found, like a missing one."""
    return _load(store, job_id, get_organisation(store, org).id)


def read_job(store: Store, job_id: int, org: str, *, actor: str) -> Job:
    """:func:`get_job` for showing it: a report that lists refused values (case data) is written to the audit
    log (``quarantine.read``, with the purpose the upload stated); a job without any is not."""
    job = get_job(store, job_id, org)
    if job.report is not None and job.report.problems:
        audit.append(
            store, actor=actor, org_id=get_organisation(store, org).id, action="quarantine.read",
            purpose=job.purpose or "upload report", records=[] if job.batch_id is None else [job.batch_id],
            details={"job": job.id, "problems": len(job.report.problems)},
        )
    return job


def list_jobs(store: Store, org: str, *, limit: int = 100) -> list[Job]:
    """``org``'s newest jobs, newest first."""
    query = _query().where(ingest_job.c.org_id == get_organisation(store, org).id)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(ingest_job.c.id.desc()).limit(limit)).all()
    return [_job(row) for row in rows]


def _report_json(report: FileReport) -> dict[str, Any]:
    doc: dict[str, Any] = report.model_dump(mode="json")
    doc[_TOTAL_KEY] = len(report.problems)
    doc["problems"] = doc["problems"][:MAX_REPORT_PROBLEMS]
    if report.crosswalk is not None:
        doc[_CROSSWALK_KEY] = report.crosswalk.model_dump(mode="json")
    return doc


def _error_of(exc: BaseException) -> JobError:
    if isinstance(exc, ConfigurationError):
        return JobError(code=exc.code, message="server misconfigured")
    if isinstance(exc, PalermoError):
        return JobError(code=exc.code, message=exc.message)
    return JobError(code="internal", message="the file could not be ingested (internal error)")


def _finish(store: Store, job: Job, purpose: str, values: dict[str, Any]) -> None:
    """Record the outcome and its audit entry in one transaction."""
    org_id = get_organisation(store, job.organisation).id
    batch = values.get("batch_id")
    with audit.transaction(store) as conn:
        conn.execute(update(ingest_job).where(ingest_job.c.id == job.id).values(**values))
        audit.append(
            conn, actor=job.submitted_by, org_id=org_id, action="cases.write", purpose=purpose,
            records=[] if batch is None else [batch], details={"job": job.id, "status": values["status"]},
        )


def run_job(
    store: Store,
    job_id: int,
    upload: Upload,
    *,
    purpose: str,
    settings: Settings | None = None,
    crosswalk: Crosswalk | None = None,
    dry_run: bool = False,
) -> Job:
    """Ingest a queued job's file (with ``crosswalk``, else the recognised layout; only checked if ``dry_run``)
    for its organisation and record the outcome; the job as it ended. The file is deleted before the outcome
    is recorded (a finished job has left no file behind)."""
    try:
        job = _load(store, job_id)
        with store.engine.begin() as conn:
            started = conn.execute(
                update(ingest_job)
                .where(ingest_job.c.id == job_id, ingest_job.c.status == "queued")
                .values(status="running", started_at=datetime.now(UTC))
            ).rowcount
        if started != 1:
            raise ConflictError(f"upload job {job_id} is {job.status}, not queued")
        values: dict[str, Any]
        try:
            report = ingest_file(
                store, upload.path, job.organisation, settings=settings, display_name=job.file_name,
                crosswalk=crosswalk, dry_run=dry_run,
            )
            values = {"status": report.status, "batch_id": report.batch_id, "report": _report_json(report)}
        except Exception as exc:
            if not isinstance(exc, PalermoError):
                log.exception("upload job %s failed", job_id)
            values = {"status": "failed", "error": _error_of(exc).model_dump()}
    finally:
        upload.discard()
    values["finished_at"] = datetime.now(UTC)
    _finish(store, job, purpose, values)
    return _load(store, job_id)


def fail_job(store: Store, job_id: int, message: str, *, running_too: bool = False) -> None:
    """Mark a job that never ran (or, with ``running_too``, whose run was cut short) as failed.

    No audit entry: an ingestion writes its rows in one transaction, so a job cut short wrote nothing.
    """
    error = JobError(code="not_run", message=message).model_dump()
    statuses = ("queued", "running") if running_too else ("queued",)
    with store.engine.begin() as conn:
        conn.execute(
            update(ingest_job)
            .where(ingest_job.c.id == job_id, ingest_job.c.status.in_(statuses))
            .values(status="failed", error=error, finished_at=datetime.now(UTC))
        )
