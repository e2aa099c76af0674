"""The real CTDC extract (48,801 rows): every row accounted for; stored counts equal pandas on the raw file."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from tests.support import shared

from palermo.ingest.pipeline import ingest_file
from palermo.store.db import Store
from palermo.store.schema import case_record, quarantine

GENDER = {"Female": "Feminine", "Male": "Masculine"}


def _expected(path: str) -> pd.DataFrame:
    raw = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str)
    frame = pd.DataFrame(
        {
            "year": raw["yearOfRegistration"].astype(float).astype("Int64"),
            "sex": raw["gender"].map(GENDER),
            "citizenship": raw["citizenship"],
        }
    )
    counts = frame.groupby(["year", "sex", "citizenship"], dropna=False).size().rename("n").reset_index()
    return counts


def test_final_csv_counts_match_pandas(store: Store, org: str) -> None:
    path = shared("ctdc/final.csv")
    report = ingest_file(store, path, org)
    assert report.layout == "ctdc-final"
    assert report.rows_read == 48_801
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(case_record)).scalar_one()
        held = conn.execute(select(func.count(func.distinct(quarantine.c.source_row)))).scalar_one()
        rows = conn.execute(
            select(
                case_record.c.cas_registration_year,
                case_record.c.prs_gender,
                case_record.c.prs_citizenship,
                func.count(),
            ).group_by(
                case_record.c.cas_registration_year, case_record.c.prs_gender, case_record.c.prs_citizenship
            )
        ).all()
    assert stored + held == 48_801
    assert stored == report.accepted and held == report.rejected
    got = {(r[0], r[1], r[2]): r[3] for r in rows}
    expected = _expected(str(path))
    want = {(int(y), s, None if pd.isna(c) else c): int(n) for y, s, c, n in expected.itertuples(index=False)}
    assert held == 0
    assert got == want
