"""Write a report in the formats asked for: the one call behind ``palermo report`` and the demo."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import InputError
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


DOCUMENTS = {"html": "report.html", "pdf": "report.pdf", "json": "report.json"}
"""The one-file formats and the file each is written to."""


def report_bytes(assessment: Assessment, format: str) -> bytes:
    """``assessment`` as one document (``html``, ``pdf`` or ``json``), as the API and the web pages send it."""
    if format not in DOCUMENTS:
        raise InputError(f"unknown report document {format!r}; choose from {', '.join(DOCUMENTS)}")
    with tempfile.TemporaryDirectory(prefix="palermo-report-") as tmp:
        write_report(assessment, Path(tmp), (format,))
        return (Path(tmp) / DOCUMENTS[format]).read_bytes()
