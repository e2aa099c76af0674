"""The ``palermo report`` command's presentation: checks its options, builds and writes the report."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape

from .analyse.cases import CaseFilter
from .cli_audit import log_operator
from .errors import InputError
from .reports.assessment import build_assessment
from .reports.write import FORMATS, write_report
from .store.db import Store

REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")


def parse_formats(text: str) -> tuple[str, ...]:
    """``html,pdf`` -> ("html", "pdf"), refusing unknown formats."""
    asked = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in asked if f not in FORMATS]
    if unknown or not asked:
        raise InputError(f"unknown report format {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    return asked


def run_report(
    store: Store,
    out: Path,
    formats: str,
    *,
    k: int,
    from_year: int | None,
    to_year: int | None,
    regions: list[str] | None,
    contributors: list[str] | None,
    forms: list[str] | None,
    latest: int | None,
    purpose: str,
    console: Console,
) -> list[Path]:
    """Build the assessment for the filters and write it; prints where the files are."""
    chosen = parse_formats(formats)
    if k < 1:
        raise InputError("--k must be at least 1")
    bad = [r for r in regions or [] if r not in REGIONS]
    if bad:
        raise InputError(f"unknown region {bad[0]!r}; choose from {', '.join(REGIONS)}")
    filters = CaseFilter(
        first_year=from_year, last_year=to_year, regions=tuple(regions) if regions else None,
        contributors=tuple(contributors) if contributors else None, forms=tuple(forms) if forms else None,
    )
    with console.status("analysing the pooled cases"):
        assessment = build_assessment(store, filters, k=k, latest_period=latest)
    log_operator(store, "cases.aggregate", purpose, details={"report": "threat assessment", "scope": assessment.scope,
                                                             "k": k, "formats": list(chosen)})
    with console.status("writing the report"):
        written = write_report(assessment, out, chosen)
    console.print(f"report on {escape(assessment.scope)}: {len(written)} files in {escape(str(out))}")
    for path in written:
        if path.suffix in {".html", ".pdf", ".json"}:
            console.print(f"  {escape(str(path))}")
    return written
