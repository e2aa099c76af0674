"""Every table of an assessment as CSV and JSON files (formulas escaped, suppressed counts empty)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..store.export import escape_frame
from .assessment import Assessment


def write_tables(assessment: Assessment, out: Path, *, csv: bool, json_file: bool) -> list[Path]:
    """Write ``tables/<name>.csv`` and/or ``report.json``; returns the files written."""
    written: list[Path] = []
    if csv:
        folder = out / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        for table in assessment.tables():
            path = folder / f"{table.name}.csv"
            escape_frame(table.frame).write_csv(path)
            written.append(path)
    if json_file:
        doc: dict[str, Any] = {
            "title": assessment.title,
            "generated_at": assessment.generated_at.isoformat(),
            "scope": assessment.scope,
            "k": assessment.k,
            "cases_in_scope": assessment.cases_in_scope,
            "tables": [
                {
                    "name": t.name,
                    "title": t.title,
                    "section": t.section,
                    "description": t.description,
                    "dims": list(t.dims),
                    "counts": list(t.counts),
                    "figures": list(t.figures),
                    "notes": list(t.notes),
                    "rows": t.frame.to_dicts(),
                    "totals": [
                        {"by": list(margin), "rows": frame.to_dicts()}
                        for margin, frame in assessment.totals.get(t.name, {}).items()
                    ],
                }
                for t in assessment.tables()
            ],
        }
        path = out / "report.json"
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        written.append(path)
    return written
