"""Exports of case data are written to the audit log with who, why and which records."""

from __future__ import annotations

from pathlib import Path

from tests.support import cases_csv, run_palermo

from palermo import audit
from palermo.ingest.pipeline import ingest_file
from palermo.store.db import Store
from palermo.store.export import export_cases


def test_export_is_audited(store: Store, org: str, tmp_path: Path) -> None:
    ingest_file(store, cases_csv(tmp_path / "in.csv", 4), org)
    assert export_cases(store, tmp_path / "out.csv", org=org, identifying=True, actor="eve", purpose="court") == 4
    entry = audit.entries(store, limit=1)[0]
    assert (entry.actor, entry.org, entry.action, entry.purpose) == ("eve", org, "cases.export", "court")
    assert len(entry.records) == 4 and entry.details["identifying"] is True
    assert audit.verify(store).ok


def test_command_line_ingest_and_export_are_audited(tmp_path: Path) -> None:
    assert run_palermo("org", "add", "Hope", "--type", "NGO", "--country", "TH", cwd=tmp_path).returncode == 0
    assert run_palermo("ingest", str(cases_csv(tmp_path / "in.csv", 3)), "--org", "Hope", cwd=tmp_path).returncode == 0
    out = tmp_path / "out.csv"
    done = run_palermo("export", "--out", str(out), "--purpose", "annual review", cwd=tmp_path)
    assert done.returncode == 0
    log = run_palermo("audit", "log", cwd=tmp_path).stdout
    assert "cases.write" in log and "cases.export" in log and "annual review" in log
    assert "ok: 2 entries" in run_palermo("audit", "verify", cwd=tmp_path).stdout
