"""The command line as a user runs it: a real process, a real SQLite file, exit codes and messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PALERMO = [sys.executable, "-m", "palermo"]

CSV = """cas_RegistrationYear,prs_Gender,prs_Citizenship,vic_AgeBand,vic_MajorityStatus,vic_TypeOfExploitation,\
cco_CaseComment
2021,Feminine,PH,18--20,Adult,SexualExploitation,ok
2031,Feminine,PH,18--20,Adult,SexualExploitation,year in the future
2020,Masculine,Atlantis,30--38,Adult,ForcedLabour,"=HYPERLINK(""http://x"",""click"")"
2019,Masculine,KH,9--17,Adult,ForcedLabour,minor band but adult
"""


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "PALERMO_DATABASE_URL"}
    full_env.update({"COLUMNS": "250", **(env or {})})
    return subprocess.run([*PALERMO, *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


def test_help_lists_commands(tmp_path: Path) -> None:
    out = run("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("org", "ingest", "rejected", "export", "standard", "demo"):
        assert command in out.stdout


def test_org_ingest_report_and_exit_codes(tmp_path: Path) -> None:
    assert run("org", "add", "Hope Shelter", "--type", "NGO", "--country", "PH", cwd=tmp_path).returncode == 0
    assert (tmp_path / "palermo.db").exists()  # the default store is palermo.db in the working directory
    listed = run("org", "list", cwd=tmp_path)
    assert "Hope Shelter" in listed.stdout
    data = tmp_path / "cases.csv"
    data.write_text(CSV, encoding="utf-8")
    report = tmp_path / "report.json"
    out = run("ingest", str(data), "--org", "Hope Shelter", "--report-json", str(report), cwd=tmp_path)
    assert out.returncode == 1, out.stderr  # some rows refused
    assert "Traceback" not in out.stderr
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["accepted"] == 1 and doc["rejected"] == 3
    reasons = {(r["row"], r["column"]) for r in doc["rejections"]}
    assert reasons == {(3, "cas_RegistrationYear"), (4, "prs_Citizenship"), (5, "vic_MajorityStatus")}
    assert all(r["file"] == "cases.csv" and r["reason"] for r in doc["rejections"])
    again = run("ingest", str(data), "--org", "Hope Shelter", cwd=tmp_path)
    assert again.returncode == 0 and "already ingested" in again.stdout
    shown = run("rejected", cwd=tmp_path)
    assert "Atlantis" in shown.stdout and "in the future" in shown.stdout
    exported = tmp_path / "cases_out.csv"
    assert run("export", "--out", str(exported), cwd=tmp_path).returncode == 0
    text = exported.read_text(encoding="utf-8")
    assert "2021" in text and "2031" not in text


def test_formula_is_escaped_in_exports(tmp_path: Path) -> None:
    run("org", "add", "Hope Shelter", "--type", "NGO", "--country", "PH", cwd=tmp_path)
    data = tmp_path / "cases.csv"
    data.write_text(CSV.replace("Atlantis", "TH"), encoding="utf-8")
    run("ingest", str(data), "--org", "Hope Shelter", cwd=tmp_path)
    out = tmp_path / "with_personal.csv"
    assert run("export", "--out", str(out), "--with-identifying", cwd=tmp_path).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_unknown_org_and_database_from_environment(tmp_path: Path) -> None:
    data = tmp_path / "cases.csv"
    data.write_text(CSV, encoding="utf-8")
    db = tmp_path / "elsewhere.db"
    out = run("ingest", str(data), "--org", "Nobody", cwd=tmp_path, env={"PALERMO_DATABASE_URL": f"sqlite:///{db}"})
    assert out.returncode == 2
    assert "not registered" in out.stderr and "palermo org add" in out.stderr
    assert "Traceback" not in out.stderr
    assert db.exists() and not (tmp_path / "palermo.db").exists()


def test_standard_schema_and_fields(tmp_path: Path) -> None:
    schema = tmp_path / "htcds.schema.json"
    assert run("standard", "schema", "--out", str(schema), cwd=tmp_path).returncode == 0
    doc = json.loads(schema.read_text(encoding="utf-8"))
    assert "vic_TypeOfExploitation" in doc["properties"]
    fields = run("standard", "fields", "--prefix", "vic_", cwd=tmp_path)
    assert "vic_MethodsOfControl" in fields.stdout and "prs_FirstName" not in fields.stdout


def test_suggest_mapping_prints_valid_yaml(tmp_path: Path) -> None:
    data = tmp_path / "shelter.csv"
    data.write_text("Sex,Nationality,Year\nF,Philippines,2020\nM,Viet Nam,2021\n", encoding="utf-8")
    out = run("ingest", "--suggest-mapping", str(data), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    mapping = tmp_path / "m.yaml"
    mapping.write_text(out.stdout, encoding="utf-8")
    run("org", "add", "Hope Shelter", "--type", "NGO", "--country", "PH", cwd=tmp_path)
    done = run("ingest", str(data), "--org", "Hope Shelter", "--mapping", str(mapping), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stored" in done.stdout
