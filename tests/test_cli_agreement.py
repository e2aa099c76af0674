"""``palermo agreement`` end to end: grant, list, revoke; bad values get a clear error and exit code 2."""

from __future__ import annotations

from pathlib import Path

from tests.support import run_palermo


def test_grant_list_revoke(tmp_path: Path) -> None:
    for name, kind in (("Hope", "NGO"), ("Police", "LawEnforcement")):
        assert run_palermo("org", "add", name, "--type", kind, "--country", "TH", cwd=tmp_path).returncode == 0
    made = run_palermo("agreement", "grant", "Hope", "Police", "--category", "cases", "--level", "aggregate",
                       "--days", "30", cwd=tmp_path)
    assert made.returncode == 0 and "agreement 1: Hope grants Police aggregate access to its cases" in made.stdout
    bad = run_palermo("agreement", "grant", "Hope", "Police", "--category", "cases", "--level", "most", cwd=tmp_path)
    assert bad.returncode == 2 and "unknown level 'most'" in bad.stderr and "Traceback" not in bad.stderr
    assert "active" in run_palermo("agreement", "list", "--org", "Police", cwd=tmp_path).stdout
    assert run_palermo("agreement", "revoke", "1", cwd=tmp_path).returncode == 0
    listed = run_palermo("agreement", "list", cwd=tmp_path).stdout
    assert "revoked" in listed and "active" not in listed
    log = run_palermo("audit", "log", cwd=tmp_path).stdout
    assert "agreement.revoke" in log and "agreement.grant" in log
    missing = run_palermo("agreement", "revoke", "9", cwd=tmp_path)
    assert missing.returncode != 0 and "no sharing agreement 9" in missing.stderr
