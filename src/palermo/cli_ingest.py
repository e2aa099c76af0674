"""The ``palermo ingest`` command's presentation: progress bars, summary tables, the JSON report."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from . import audit
from .errors import PalermoError
from .ingest.pipeline import ingest_file
from .ingest.report import FileReport
from .standard.crosswalk import load_crosswalk
from .store.db import Store
from .store.orgs import get_organisation


def _summary(reports: list[FileReport], failures: list[tuple[str, str]], console: Console) -> None:
    table = Table("file", "layout", "status", "read", "stored", "refused", title="Ingestion")
    for r in reports:
        table.add_row(
            escape(r.file), r.layout, r.status, f"{r.rows_read:,}", f"{r.accepted:,}", f"{r.rejected:,}"
        )
    for name, _ in failures:
        table.add_row(escape(name), "", "[red]failed[/]", "", "", "")
    console.print(table)
    for name, message in failures:
        console.print(f"[red]{escape(name)}[/]: {escape(message)}")
    for r in reports:
        if r.status == "already-ingested":
            console.print(
                f"{escape(r.file)}: already ingested by this organisation (batch {r.batch_id}); nothing to do"
            )
        if r.top_reasons:
            reasons = Table("column", "reason", "rows", title=f"Refused rows of {escape(r.file)}, by reason")
            for reason in r.top_reasons:
                reasons.add_row(
                    escape(reason.column or "(whole row)"), escape(reason.reason), f"{reason.rows:,}"
                )
            console.print(reasons)
            first = r.problems[:5]
            for p in first:
                value = "" if p.value is None else f" value {escape(repr(p.value))}:"
                console.print(f"  row {p.row}, column {escape(repr(p.column))}:{value} {escape(p.reason)}")
        if r.label_row_skipped:
            console.print(f"{escape(r.file)}: row 2 holds the columns' labels, not a case; skipped")
        if r.skipped_empty:
            console.print(
                f"{escape(r.file)}: {r.skipped_empty:,} rows with no value in any mapped column skipped"
            )
        if r.unmapped_columns:
            kept = ", ".join(r.unmapped_columns[:10]) + (" ..." if len(r.unmapped_columns) > 10 else "")
            console.print(f"{escape(r.file)}: columns kept as extra (no standard field): {escape(kept)}")


def run_ingest(
    store: Store,
    files: list[Path],
    org: str,
    mapping: Path | None,
    sheet: str | None,
    dry_run: bool,
    report_json: Path | None,
    console: Console,
    progress: Callable[[], Progress],
    *,
    purpose: str,
) -> int:
    """Ingest each file, show progress and a summary; the exit code: 0 clean, 1 rows refused, 2 a file failed."""
    owner = get_organisation(store, org)  # an unknown organisation stops the command before any file is read
    crosswalk = load_crosswalk(mapping) if mapping is not None else None
    reports: list[FileReport] = []
    failures: list[tuple[str, str]] = []
    with progress() as bar:
        for path in files:
            task = bar.add_task(f"{path.name}", total=1.0)

            def step(stage: str, done: float, task_id: TaskID = task, name: str = path.name) -> None:
                bar.update(task_id, completed=done, description=f"{name}: {stage}")

            try:
                report = ingest_file(
                    store, path, org, crosswalk=crosswalk, sheet=sheet, dry_run=dry_run, progress=step
                )
                reports.append(report)
                if report.status == "stored":
                    audit.append(
                        store, actor=getpass.getuser(), org_id=owner.id, action="cases.write",
                        purpose=purpose, records=[report.batch_id],
                        details={"file": report.file, "accepted": report.accepted, "rejected": report.rejected},
                    )
            except PalermoError as exc:
                failures.append((path.name, exc.message))
            bar.remove_task(task)
    _summary(reports, failures, console)
    if report_json is not None:
        doc = {
            "accepted": sum(r.accepted for r in reports),
            "rejected": sum(r.rejected for r in reports),
            "dry_run": dry_run,
            "files": [r.model_dump(mode="json") for r in reports],
            "failed": [{"file": name, "error": message} for name, message in failures],
            "rejections": [p.model_dump(mode="json") for r in reports for p in r.problems],
        }
        report_json.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"report written to {escape(str(report_json))}")
    if dry_run:
        console.print("dry run: nothing was stored")
    if failures:
        return 2
    return 1 if any(r.rejected for r in reports) else 0


def run_suggest(files: list[Path], sheet: str | None, console: Console) -> None:
    """Print a draft mapping file for each file."""
    from .ingest.suggest import suggest_mapping

    for path in files:
        console.print(suggest_mapping(path, sheet=sheet), markup=False, highlight=False, soft_wrap=True)
