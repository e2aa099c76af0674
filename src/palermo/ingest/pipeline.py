"""Ingest partner files: read, recognise the layout, map, validate, store; bad rows quarantined.

:func:`ingest_file` is the one library call behind ``palermo ingest`` and the API's upload. Each
file is one batch, stored in one transaction with its accepted rows, its identifying fields (in
their own table) and its rejected rows with their reasons. A file already ingested by the same
organisation (same SHA-256) is recognised and not stored twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..settings import Settings, get_settings
from ..standard import load_standard
from ..standard.crosswalk import Crosswalk
from ..store.bulk import find_batch, store_batch
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import case_record, person_identity, quarantine
from .convert import squash
from .derive import derive_fields
from .detect import detect_crosswalk
from .mapping import PERSONAL_EXTRA, PROBLEM_SCHEMA, apply_crosswalk
from .readers import RawTable, read_table
from .report import FileReport, build_report
from .validate import validate

Progress = Callable[[str, float], None]
"""Called with a stage name and the share of the file's work done (0..1)."""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_problems(raw: RawTable) -> pl.DataFrame:
    if not raw.problems:
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    return pl.DataFrame(
        {
            "row": [p.row for p in raw.problems],
            "column": [p.column for p in raw.problems],
            "value": [p.value for p in raw.problems],
            "reason": [p.reason for p in raw.problems],
        },
        schema=PROBLEM_SCHEMA,
    )


def _raw_rows(raw: RawTable, rows: pl.Series) -> pl.DataFrame:
    """The rejected rows as read, one JSON object each, to keep them with their reasons."""
    if rows.is_empty():
        return pl.DataFrame(schema={"row": pl.Int32, "raw_row": pl.String})
    wanted = pa.array(rows.unique().to_list(), type=pa.int32())
    frame = pl.from_arrow(raw.table.filter(pc.is_in(raw.rows, value_set=wanted)))
    assert isinstance(frame, pl.DataFrame)
    kept = raw.rows.filter(pc.is_in(raw.rows, value_set=wanted))
    frame = frame.with_columns(pl.Series("_row", kept.to_numpy(zero_copy_only=False)))
    columns = [c for c in frame.columns if c != "_row"]
    return frame.select(
        pl.col("_row").cast(pl.Int32).alias("row"),
        pl.struct([pl.col(c).str.slice(0, 4096) for c in columns]).struct.json_encode().alias("raw_row"),
    )


def _drop_label_row(raw: RawTable, crosswalk: Crosswalk) -> bool:
    """Drop a second header row of field labels under the names (as in the HTCDS template); True if dropped."""
    if raw.table.num_rows == 0:
        return False
    std = load_standard()
    first = raw.table.slice(0, 1).to_pylist()[0]
    checked = matched = 0
    for name, rule in crosswalk.fields.items():
        if rule.column is None or rule.column not in first:
            continue
        checked += 1
        value = first[rule.column]
        matched += value is not None and squash(value) == squash(std.field(name).label)
    if checked < 3 or matched < 0.6 * checked:
        return False
    raw.table = raw.table.slice(1)
    raw.rows = raw.rows.slice(1)
    return True


def _empty(mapped: pl.DataFrame) -> pl.Expr:
    """Rows with no value in any standard field (blank template rows): skipped, and counted."""
    fields = [c for c in mapped.columns if c not in {"_row", "extra", PERSONAL_EXTRA}]
    if not fields:
        return pl.lit(True)
    return pl.all_horizontal([pl.col(c).is_null() for c in fields])


def _tables(
    mapped: pl.DataFrame, problems: pl.DataFrame, raw: RawTable, org_id: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Split mapped rows into case, identity and quarantine frames named as the store's columns."""
    std = load_standard()
    rejected = problems.get_column("row").unique()
    accepted = mapped.filter(~pl.col("_row").is_in(rejected.implode()) & ~_empty(mapped))
    provenance = [pl.lit(org_id).alias("org_id"), pl.col("_row").cast(pl.Int32).alias("source_row")]
    analytical = [f for f in std.analytical_fields() if f.name in accepted.columns]
    identifying = [f for f in std.identifying_fields() if f.name in accepted.columns]
    cases = accepted.select(
        *provenance, *[pl.col(f.name).alias(f.column) for f in analytical], pl.col("extra")
    )
    personal = [pl.col(f.name).alias(f.column) for f in identifying] + [pl.col(PERSONAL_EXTRA).alias("extra")]
    present = pl.any_horizontal([p.is_not_null() for p in personal])
    identities = accepted.filter(present).select(*provenance, *personal)
    held = problems.join(_raw_rows(raw, rejected), on="row", how="left").select(
        pl.lit(org_id).alias("org_id"),
        pl.col("row").alias("source_row"),
        pl.col("column").alias("column_name"),
        pl.col("value").str.slice(0, 1000),
        pl.col("reason"),
        pl.col("raw_row"),
    )
    return cases, identities, held


def ingest_file(
    store: Store,
    path: Path,
    org: str,
    *,
    crosswalk: Crosswalk | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    settings: Settings | None = None,
    progress: Progress | None = None,
    display_name: str | None = None,
) -> FileReport:
    """Ingest one file for organisation ``org``; returns what was stored and refused, and why.

    ``display_name`` is the file's name in messages, the report and the batch (default: the path's
    name); the API passes the uploaded file's name, never used as a path.
    """
    settings = settings or get_settings()
    step: Progress = progress or (lambda _stage, _done: None)
    organisation = get_organisation(store, org)
    step("read", 0.0)
    try:
        raw = read_table(path, sheet=sheet, max_bytes=settings.max_file_bytes)
    except InputError as exc:
        if display_name is None:
            raise
        raise InputError(exc.reason, file=display_name, row=exc.row, column=exc.column) from None
    if display_name is not None:
        raw.file = display_name
    sha = file_sha256(path)
    if raw.table.num_rows == 0 and not raw.problems:
        raise InputError("has a header but no data rows", file=raw.file, row=2)
    step("map", 0.35)
    chosen = crosswalk or detect_crosswalk(raw.columns, raw.file)
    label_row = _drop_label_row(raw, chosen)
    mapped = apply_crosswalk(
        raw, chosen, max_chars=settings.max_cell_chars, strict_columns=crosswalk is not None
    )
    mapped.frame = derive_fields(mapped.frame)
    step("validate", 0.6)
    problems = pl.concat([_read_problems(raw), mapped.problems, validate(mapped.frame, mapped.sources)])
    problems = problems.sort("row", maintain_order=True)
    cases, identities, held = _tables(mapped.frame, problems, raw, organisation.id)
    skipped = mapped.frame.filter(
        _empty(mapped.frame) & ~pl.col("_row").is_in(problems.get_column("row").implode())
    )
    report = build_report(raw, chosen, sha, cases.height, problems, mapped, skipped=skipped.height)
    report.label_row_skipped = label_row
    report.rows_read += int(label_row)
    raw.table, mapped.frame = raw.table.slice(0, 0), mapped.frame.clear()  # free them before storing
    step("store", 0.7)
    existing = find_batch(store, organisation.id, sha)
    if dry_run:  # a check of the whole file, even one stored before (the report says which batch holds it)
        step("done", 1.0)
        return report.with_status("dry-run").model_copy(update={"previous_batch": existing})
    if existing is not None:
        return report.already_ingested(existing)
    batch = {
        "org_id": organisation.id,
        "file_name": raw.file,
        "file_sha256": sha,
        "file_format": raw.format,
        "layout": chosen.name,
        "rows_read": report.rows_read,
        "rows_accepted": cases.height,
        "rows_rejected": report.rejected,
        "ingested_at": datetime.now(UTC),
    }
    batch_id, new = store_batch(store, batch, [(case_record, cases), (person_identity, identities), (quarantine, held)])
    step("done", 1.0)
    return report.with_status("stored", batch_id=batch_id) if new else report.already_ingested(batch_id)
