"""Linkage on a handful of records, where some training blocks find no pair, still runs."""

from __future__ import annotations

from pathlib import Path

from palermo.ingest.pipeline import ingest_file
from palermo.link.run import run_linkage
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

HEAD = "prs_FirstName,prs_SecondName,prs_Birthdate,prs_MobilePhone,prs_Gender,prs_Citizenship"


def test_few_records_with_no_shared_phone(sqlite_store: Store, tmp_path: Path) -> None:
    for org, prefix in (("Alpha", "66800000"), ("Beta", "66900000")):
        add_organisation(sqlite_store, org, "NGO", "TH")
        rows = [f"Mali{i},Santos,1985-02-1{i},+{prefix}{i:02d},Female,PH" for i in range(6)]
        path = tmp_path / f"{org}.csv"
        path.write_text(HEAD + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        ingest_file(sqlite_store, path, org)
    summary = run_linkage(sqlite_store, started_by="t")
    assert summary.records == 12
    assert summary.entities == 6  # the same six persons in both organisations, phones differ
