"""The report of one ingested file: counts, layout, every refused row with its reasons.

Values of identifying columns never appear in a report (they stay in the quarantine table, where
the owner can fix them); values that a spreadsheet would run as formulas are escaped.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from ..safety import WITHHELD, escape_formula
from ..standard import load_standard
from ..standard.crosswalk import Crosswalk
from .columns import ColumnMapping, column_mappings
from .mapping import Mapped
from .readers import RawTable

Status = Literal["stored", "dry-run", "already-ingested", "pending"]


class RejectedValue(BaseModel):
    """One reason one row was refused."""

    model_config = ConfigDict(frozen=True)

    file: str
    row: int
    column: str | None
    value: str | None
    reason: str


class ReasonCount(BaseModel):
    """How many rows one reason refused."""

    column: str | None
    reason: str
    rows: int


class FileReport(BaseModel):
    """What happened to one file."""

    file: str
    sha256: str
    format: str
    encoding: str | None
    sheet: str | None
    layout: str
    layout_title: str
    status: Status = "pending"
    batch_id: int | None = None
    rows_read: int
    accepted: int
    rejected: int
    skipped_empty: int = 0
    """Rows with no value in any mapped column (such as a template's blank rows): not stored."""
    label_row_skipped: bool = False
    """Whether row 2 held the fields' labels (a second header, as in the HTCDS template) and was skipped."""
    unmapped_columns: list[str]
    columns: list[ColumnMapping] = Field(default_factory=list)
    """Each column of the file and the standard field the mapping filled from it."""
    previous_batch: int | None = None
    """For a dry run: the batch that already holds this file, if the organisation stored it before."""
    crosswalk: Crosswalk | None = Field(default=None, exclude=True)
    """The mapping applied (not part of the report's JSON)."""
    top_reasons: list[ReasonCount]
    problems: list[RejectedValue]

    def with_status(self, status: Status, batch_id: int | None = None) -> FileReport:
        """A copy with the outcome set."""
        return self.model_copy(update={"status": status, "batch_id": batch_id})

    def already_ingested(self, batch_id: int) -> FileReport:
        """The report for a file stored before: nothing new was stored or refused."""
        return self.model_copy(
            update={
                "status": "already-ingested",
                "batch_id": batch_id,
                "accepted": 0,
                "rejected": 0,
                "problems": [],
                "top_reasons": [],
            }
        )


def _withheld_columns(mapped: Mapped) -> set[str]:
    std = load_standard()
    hidden: set[str] = set()
    for name, source in mapped.sources.items():
        if std.field(name).identifying:
            hidden.update(s.strip() for s in source.split(","))
    return hidden


def build_report(
    raw: RawTable,
    crosswalk: Crosswalk,
    sha: str,
    accepted: int,
    problems: pl.DataFrame,
    mapped: Mapped,
    *,
    skipped: int = 0,
) -> FileReport:
    """Summarise a mapped, validated file."""
    hidden = _withheld_columns(mapped) | set(mapped.personal_unmapped)
    whole_row_hidden = bool(hidden)
    records = []
    for row, column, value, reason in problems.iter_rows():
        if value is not None and (column in hidden or (column is None and whole_row_hidden)):
            value = WITHHELD
        records.append(
            RejectedValue(
                file=escape_formula(raw.file) or raw.file, row=row, column=escape_formula(column),
                value=escape_formula(value), reason=reason,
            )
        )
    counts = (
        problems.group_by("column", "reason")
        .agg(pl.col("row").n_unique().alias("rows"))
        .sort("rows", "column", descending=[True, False], nulls_last=True)
        .head(10)
    )
    rejected = problems.get_column("row").n_unique()
    return FileReport(
        file=raw.file,
        sha256=sha,
        format=raw.format,
        encoding=raw.encoding,
        sheet=raw.sheet,
        layout=crosswalk.name,
        layout_title=crosswalk.title or crosswalk.name,
        rows_read=raw.rows_read,
        accepted=accepted,
        rejected=rejected,
        skipped_empty=skipped,
        unmapped_columns=mapped.unmapped,
        columns=column_mappings(crosswalk, raw.columns),
        crosswalk=crosswalk,
        top_reasons=[ReasonCount(column=c, reason=r, rows=n) for c, r, n in counts.iter_rows()],
        problems=records,
    )
