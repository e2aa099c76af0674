"""Every command that reads or writes case data from the command line leaves an entry in the audit log."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from tests.support import cases_csv, run_palermo

from palermo import audit
from palermo.store.db import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("cli-audited")
    assert run_palermo("demo", "--cases", "1500", cwd=where).returncode == 0
    assert run_palermo("link", "run", "--purpose", "monthly linkage", cwd=where).returncode == 0
    return where


def _newest(where: Path) -> audit.AuditEntry:
    return audit.entries(open_store(f"sqlite:///{where / 'palermo.db'}"), limit=1)[0]


COMMANDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("ingest", "more.csv", "--org", "Hope"), "cases.write"),
    (("link", "entities", "--out", "entities.csv"), "linkage.entities"),
    (("link", "explain", "1", "2"), "linkage.explain"),
    (("link", "encode", "--secret-file", "secret.key", "--out", "mine.parquet"), "cases.encode"),
    (("link", "network", "--out", "network"), "linkage.network"),
    (("link", "overlap", "--out", "overlap"), "cases.aggregate"),
    (("rejected",), "quarantine.read"),
    (("rejected", "--out", "refused.csv"), "quarantine.read"),
    (("report", "--out", "report", "--format", "json"), "cases.aggregate"),
    (("publish", "kanon", "--out", "kanon"), "cases.publish"),
    (("publish", "table", "--dims", "prs_gender", "--epsilon", "0.5", "--out", "table.csv"), "cases.publish"),
)


@pytest.mark.parametrize(("args", "action"), COMMANDS, ids=[" ".join(c[0][:2]) for c in COMMANDS])
def test_command_is_audited(demo: Path, args: tuple[str, ...], action: str) -> None:
    (demo / "secret.key").write_text("a secret the organisations share\n", encoding="utf-8")
    if args[0] == "ingest":
        assert run_palermo("org", "add", "Hope", "--type", "NGO", "--country", "TH", cwd=demo).returncode == 0
        cases_csv(demo / "more.csv", 3)
    before = _newest(demo).id
    purpose = f"review of {' '.join(args[:2])}"
    done = run_palermo(*args, "--purpose", purpose, cwd=demo)
    assert done.returncode == 0, done.stderr
    entry = _newest(demo)
    assert entry.id > before
    holder = "Hope" if args[0] == "ingest" else None  # an ingestion is recorded for the contributing organisation
    assert (entry.action, entry.purpose, entry.actor, entry.org) == (action, purpose, getpass.getuser(), holder)


def test_linkage_run_is_audited_with_its_run(demo: Path) -> None:
    found = [e for e in audit.entries(open_store(f"sqlite:///{demo / 'palermo.db'}"), limit=500)
             if e.action == "linkage.run"]
    assert found and found[-1].purpose == "monthly linkage" and found[-1].details["records"] > 0
    explained = run_palermo("link", "explain", "3", "4", "--hide-values", cwd=demo)
    assert explained.returncode == 0
    entry = _newest(demo)
    assert entry.records == ["3", "4"] and entry.details == {"values_shown": False}
    assert entry.purpose == "linkage review"
    assert "the chain is unbroken" in run_palermo("audit", "verify", cwd=demo).stdout


def test_blank_purpose_is_refused_before_anything_is_read(demo: Path) -> None:
    before = _newest(demo).id
    refused = run_palermo("rejected", "--out", "blank.csv", "--purpose", "  ", cwd=demo)
    assert refused.returncode == 2 and "purpose" in refused.stderr and "Traceback" not in refused.stderr
    assert not (demo / "blank.csv").exists()
    assert _newest(demo).id == before
