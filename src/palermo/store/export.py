"""Exports of stored data to CSV: every text value safe to open in a spreadsheet.

Values that a spreadsheet would run as formulas (``=HYPERLINK(...)``) are written with a leading
apostrophe. Identifying fields are only exported when the caller asks for them explicitly.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from sqlalchemy import Select, Text, cast, select

from ..safety import FORMULA_START, PLAIN_NUMBER
from .db import Store
from .orgs import get_organisation
from .schema import case_record, ingest_batch, organisation, person_identity, quarantine


def escape_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text value that starts like a formula escaped."""
    texts = [c for c, t in frame.schema.items() if t == pl.String()]
    if not texts:
        return frame
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(FORMULA_START) & ~pl.col(c).str.contains(PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in texts
    )


def read_frame(store: Store, query: Select[tuple[object, ...]]) -> pl.DataFrame:
    """Run a query and return its rows as a polars frame."""
    with store.engine.connect() as conn:
        result = conn.execute(query)
        columns = list(result.keys())
        rows = result.fetchall()
    return pl.DataFrame([tuple(r) for r in rows], schema=columns, orient="row", infer_schema_length=None)


def cases_query(store: Store, org: str | None, identifying: bool) -> Select[tuple[object, ...]]:
    """The stored cases with their provenance (and identifying fields when asked)."""
    columns = [
        organisation.c.name.label("organisation"),
        ingest_batch.c.file_name,
        *(c if c.name != "extra" else cast(c, Text).label("extra") for c in case_record.c),
    ]
    source = case_record.join(organisation, organisation.c.id == case_record.c.org_id).join(
        ingest_batch, ingest_batch.c.id == case_record.c.batch_id
    )
    if identifying:
        personal = [
            c if c.name != "extra" else cast(c, Text).label("personal_extra")
            for c in person_identity.c
            if c.name not in {"id", "org_id", "batch_id", "source_row"}
        ]
        columns += personal
        source = source.outerjoin(
            person_identity,
            (person_identity.c.batch_id == case_record.c.batch_id)
            & (person_identity.c.source_row == case_record.c.source_row),
        )
    query = select(*columns).select_from(source).order_by(case_record.c.id)
    if org is not None:
        query = query.where(case_record.c.org_id == get_organisation(store, org).id)
    return query


def export_cases(
    store: Store,
    out: Path,
    *,
    org: str | None = None,
    identifying: bool = False,
    actor: str = "command line",
    purpose: str = "export",
) -> int:
    """Write stored cases to a CSV file, logging who exported which cases and why; returns the rows written."""
    from .. import audit

    frame = read_frame(store, cases_query(store, org, identifying))
    escape_frame(frame).write_csv(out)
    audit.append(
        store, actor=actor, org_id=None if org is None else get_organisation(store, org).id, action="cases.export",
        purpose=purpose, records=[str(i) for i in frame.get_column("id").to_list()] if frame.height else [],
        details={"identifying": identifying, "count": frame.height, "file": out.name},
    )
    return frame.height


def rejected_frame(store: Store, *, org: str | None = None, batch: int | None = None) -> pl.DataFrame:
    """Refused rows with their file, row, column, value and reason."""
    query = (
        select(
            organisation.c.name.label("organisation"),
            ingest_batch.c.id.label("batch"),
            ingest_batch.c.file_name.label("file"),
            quarantine.c.source_row.label("row"),
            quarantine.c.column_name.label("column"),
            quarantine.c.value,
            quarantine.c.reason,
        )
        .select_from(
            quarantine.join(ingest_batch, ingest_batch.c.id == quarantine.c.batch_id).join(
                organisation, organisation.c.id == quarantine.c.org_id
            )
        )
        .order_by(quarantine.c.batch_id, quarantine.c.source_row, quarantine.c.id)
    )
    if org is not None:
        query = query.where(quarantine.c.org_id == get_organisation(store, org).id)
    if batch is not None:
        query = query.where(quarantine.c.batch_id == batch)
    return read_frame(store, query)


def export_rejected(store: Store, out: Path, *, org: str | None = None, batch: int | None = None) -> int:
    """Write refused rows to a CSV file, formulas escaped; returns the number of lines written."""
    frame = escape_frame(rejected_frame(store, org=org, batch=batch))
    frame.write_csv(out)
    return frame.height
