"""Write a report in the formats asked for: the one call behind ``palermo report`` and the demo."""

from __future__ import annotations

from pathlib import Path

from .assessment import Assessment
from .files import write_tables
from .html import render_html
from .pdf import write_pdf

FORMATS = ("html", "pdf", "json", "csv")


def write_report(assessment: Assessment, out: Path, formats: tuple[str, ...] = FORMATS) -> list[Path]:
    """Write ``assessment`` into folder ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = write_tables(assessment, out, csv="csv" in formats, json_file="json" in formats)
    if "html" in formats or "pdf" in formats:
        html = render_html(assessment)
        if "html" in formats:
            path = out / "report.html"
            path.write_text(html, encoding="utf-8")
            written.append(path)
        if "pdf" in formats:
            path = out / "report.pdf"
            write_pdf(html, path)
            written.append(path)
    return written
