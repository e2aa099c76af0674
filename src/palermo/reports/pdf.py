"""Render an assessment's HTML as PDF with WeasyPrint (no network: every resource is inline)."""

from __future__ import annotations

import logging
from pathlib import Path


def write_pdf(html: str, out: Path) -> None:
    """Write ``html`` as a PDF file."""
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    from weasyprint import HTML

    HTML(string=html, base_url=None).write_pdf(out)
