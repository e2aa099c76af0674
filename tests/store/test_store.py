"""The store on both backends: migrations match the schema, organisations, provenance, identity apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from palermo.errors import ConflictError, InputError, NotFoundError
from palermo.ingest.pipeline import ingest_file
from palermo.standard import load_standard
from palermo.store.db import Store, open_store
from palermo.store.orgs import add_organisation, get_organisation, list_organisations
from palermo.store.schema import case_record, ingest_batch, metadata, person_identity

CSV = """cas_SourceRecordId,cas_RegistrationYear,prs_Gender,prs_Citizenship,vic_AgeBand,vic_MajorityStatus,\
vic_TypeOfExploitation,prs_FirstName,prs_SecondName,prs_Birthdate,prs_MobilePhone
R1,2021,Feminine,PH,18--20,Adult,SexualExploitation,Maria,Santos,2002-05-01,+639171234567
R2,2022,Masculine,UKR,30--38,Adult,ForcedLabour;Servitude,,,,
R3,2023,Female,Viet Nam,9--17,Minor,ForcedLabour,Lan,Nguyen,,
"""


def test_migrations_match_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_reopening_is_idempotent(store: Store) -> None:
    again = open_store(store.url)
    assert set(inspect(again.engine).get_table_names()) >= {"case_record", "person_identity", "quarantine"}
    again.engine.dispose()


def test_organisations(store: Store) -> None:
    org = add_organisation(store, "  Hope   Shelter ", "ngo", "Thailand")
    assert (org.name, org.type, org.country) == ("Hope Shelter", "NGO", "TH")
    add_organisation(store, "Border Police", "Law Enforcement", "MMR")
    assert [o.name for o in list_organisations(store)] == ["Border Police", "Hope Shelter"]
    assert get_organisation(store, "Border Police").country == "MM"
    with pytest.raises(ConflictError):
        add_organisation(store, "Hope Shelter", "NGO", "TH")
    with pytest.raises(InputError, match="unknown organisation type"):
        add_organisation(store, "X", "Charity", "TH")
    with pytest.raises(InputError, match="unknown country"):
        add_organisation(store, "X", "NGO", "Atlantis")
    with pytest.raises(NotFoundError, match="palermo org add"):
        get_organisation(store, "Nobody")


def test_provenance_and_identity_apart(store: Store, org: str, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CSV, encoding="utf-8")
    report = ingest_file(store, path, org)
    assert (report.accepted, report.rejected, report.status) == (3, 0, "stored")
    with store.engine.connect() as conn:
        batch = conn.execute(select(ingest_batch)).one()
        cases = conn.execute(select(case_record).order_by(case_record.c.source_row)).all()
        people = conn.execute(select(person_identity).order_by(person_identity.c.source_row)).all()
    assert batch.file_name == "cases.csv" and len(batch.file_sha256) == 64 and batch.rows_accepted == 3
    assert [c.source_row for c in cases] == [2, 3, 4]
    assert all(c.batch_id == batch.id and c.org_id == batch.org_id for c in cases)
    assert [c.prs_citizenship for c in cases] == ["PH", "UA", "VN"]
    assert [c.prs_gender for c in cases] == ["Feminine", "Masculine", "Feminine"]
    assert cases[1].vic_type_of_exploitation == "ForcedLabour;Servitude"
    # personal data only in person_identity, and only for rows that have some
    identifying = {f.column for f in load_standard().identifying_fields()}
    assert not identifying & set(case_record.c.keys())
    assert [p.source_row for p in people] == [2, 4]
    assert people[0].prs_first_name == "Maria" and str(people[0].prs_birthdate) == "2002-05-01"
    assert people[0].prs_mobile_phone == "+639171234567"


def test_reingest_is_noop_and_dry_run_stores_nothing(store: Store, org: str, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(CSV, encoding="utf-8")
    dry = ingest_file(store, path, org, dry_run=True)
    assert dry.status == "dry-run" and dry.accepted == 3
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_record)).scalar_one() == 0
    first = ingest_file(store, path, org)
    second = ingest_file(store, path, org)
    assert first.status == "stored" and second.status == "already-ingested"
    assert second.batch_id == first.batch_id and second.accepted == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(case_record)).scalar_one() == 3
        assert conn.execute(select(func.count()).select_from(ingest_batch)).scalar_one() == 1
