"""The k-anonymous release written from a store: files, data card, every class of size k or more."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from tests.support import shared

from palermo.ingest.pipeline import ingest_file
from palermo.publish.kanon_release import release_kanon
from palermo.store.db import Store
from palermo.store.orgs import add_organisation


def test_release_of_the_ctdc_extract(sqlite_store: Store, tmp_path: Path) -> None:
    add_organisation(sqlite_store, "CTDC", "InternationalOrganisation", "CH")
    ingest_file(sqlite_store, shared("ctdc/final.csv"), "CTDC")
    release = release_kanon(sqlite_store, tmp_path / "out", k=11)
    assert {p.name for p in release.files} == {
        "kanon.csv", "kanon.parquet", "datacard.json", "datacard.md", "utility.svg"
    }
    released = pl.read_parquet(tmp_path / "out" / "kanon.parquet")
    qis = list(release.result.quasi_identifiers)
    sizes = released.group_by(qis).len().get_column("len")
    assert sizes.min() is not None and int(sizes.min()) >= 11  # type: ignore[arg-type]
    card = json.loads((tmp_path / "out" / "datacard.json").read_text(encoding="utf-8"))
    assert card["parameters"]["k"] == 11
    assert card["records"]["in"] == 48_801
    assert card["records"]["released"] + card["records"]["suppressed"] == 48_801
    assert card["risk"]["linkage_unique_matches"] == 0
    assert (tmp_path / "out" / "utility.svg").read_text(encoding="utf-8").lstrip().startswith("<svg")


def test_publish_kanon_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'p.db'}"
    base = [sys.executable, "-m", "palermo", "--db", db]
    added = subprocess.run([*base, "org", "add", "CTDC", "--type", "NGO", "--country", "US"], check=False)
    assert added.returncode == 0
    ingested = subprocess.run([*base, "ingest", str(shared("ctdc/final.csv")), "--org", "CTDC"], check=False)
    assert ingested.returncode == 0
    done = subprocess.run([*base, "publish", "kanon", "--out", str(tmp_path / "rel"), "--k", "11"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "k-anonymous with k = 11" in done.stdout
    assert (tmp_path / "rel" / "kanon.parquet").exists()
