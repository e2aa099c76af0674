"""`palermo demo` end to end: every row accounted for, planted bad rows refused, identities stored apart."""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import func, select

from palermo.demo.run import run_demo
from palermo.store.db import open_store
from palermo.store.schema import case_record, ingest_batch, organisation, person_identity, quarantine


def test_demo_builds_a_complete_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'palermo.db'}"
    out = io.StringIO()
    console = Console(file=out, width=200)
    reports = run_demo(
        url, cases=3_000, fresh=True, console=console, progress=lambda: Progress(console=console),
        report_formats=("html",),
    )
    assert "<h1>" in (tmp_path / "palermo-report" / "report.html").read_text(encoding="utf-8")
    store = open_store(url)
    files = tmp_path / "palermo-demo-files"
    bad = pl.read_csv(files / "bad_rows.csv")
    truth = pl.read_csv(files / "truth.csv")
    with store.engine.connect() as conn:
        orgs = conn.execute(select(func.count()).select_from(organisation)).scalar_one()
        batches = conn.execute(select(ingest_batch)).all()
        stored = conn.execute(select(func.count()).select_from(case_record)).scalar_one()
        people = conn.execute(select(func.count()).select_from(person_identity)).scalar_one()
        refused = {
            (f, r)
            for f, r in conn.execute(
                select(ingest_batch.c.file_name, quarantine.c.source_row).join(
                    ingest_batch, ingest_batch.c.id == quarantine.c.batch_id
                )
            )
        }
    assert orgs == 6 and len(batches) == 6 == len(reports)
    assert all(b.rows_accepted + b.rows_rejected <= b.rows_read for b in batches)
    assert stored == sum(b.rows_accepted for b in batches)
    assert any(b.file_name == "ctdc_final.csv" and b.rows_accepted == 48_801 for b in batches)
    # every planted bad row is refused, except formulas, which are valid text (escaped on export)
    planted = {(f, r) for f, r, kind in bad.select("file", "row", "kind").iter_rows() if kind != "formula"}
    assert planted and planted <= refused
    assert refused <= {(f, r) for f, r in bad.select("file", "row").iter_rows()}
    # identities of generated persons are stored apart, one per record that has them, minus refused rows
    with_identity = {(f, r) for f, r in truth.select("file", "row").iter_rows()} - refused
    assert people == len(with_identity)
    assert "palermo.db" in out.getvalue()
    store.engine.dispose()
