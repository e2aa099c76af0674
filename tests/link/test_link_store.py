"""Linkage on the store (SQLite and PostgreSQL): runs, stable entity ids, hit/no-hit with owner decisions."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import func, select

from palermo.demo.linkage_benchmark import person_records
from palermo.errors import ConflictError, InputError, NotFoundError
from palermo.ingest.pipeline import ingest_file
from palermo.link.entities import entity_table, linked_records
from palermo.link.evaluate import cluster_accuracy
from palermo.link.history import entity_assignments
from palermo.link.hits import answers, ask, decide, inbox
from palermo.link.run import run_linkage
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, hit_query, person_identity

HTCDS = {
    "given_name": "prs_FirstName",
    "family_name": "prs_SecondName",
    "birth_date": "prs_Birthdate",
    "sex": "prs_Gender",
    "citizenship": "prs_Citizenship",
    "phone": "prs_MobilePhone",
    "email": "prs_Email",
    "passport": "prs_PassportNumber",
    "bank_account": "prs_BankAccount",
    "city": "prs_MailingCity",
}


def _write(records: pl.DataFrame, path: Path) -> None:
    records.select(pl.col("record_id").alias("cas_SourceRecordId"), *(pl.col(k).alias(v) for k, v in HTCDS.items()))\
        .write_csv(path)


def _ingest(store: Store, records: pl.DataFrame, tmp_path: Path, suffix: str) -> dict[str, str]:
    """Ingest each organisation's records as its own HTCDS CSV; return record_id -> org."""
    for (org,), part in records.group_by("org", maintain_order=True):
        path = tmp_path / f"{str(org)[:10].replace(' ', '_')}_{suffix}.csv"
        _write(part, path)
        report = ingest_file(store, path, str(org))
        assert report.accepted == part.height, report.top_reasons
    return dict(zip(records["record_id"].to_list(), records["org"].to_list(), strict=True))


@pytest.fixture
def linked(store: Store, tmp_path: Path) -> tuple[Store, pl.DataFrame]:
    records = person_records(1500, seed=7, organisations=3)
    for org in records["org"].unique().sort().to_list():
        add_organisation(store, org, "NGO", "TH")
    _ingest(store, records, tmp_path, "first")
    return store, records


def _truth(store: Store, records: pl.DataFrame) -> pl.DataFrame:
    """unique_id (person record id) -> person_id, through the source record id kept with each case."""
    ident = person_identity.c
    query = select(ident.id, case_record.c.cas_source_record_id).select_from(
        person_identity.join(
            case_record,
            (case_record.c.batch_id == ident.batch_id) & (case_record.c.source_row == ident.source_row),
        )
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    stored = pl.DataFrame(
        [(str(a), str(b)) for a, b in rows], schema={"unique_id": pl.Utf8, "record_id": pl.Utf8}, orient="row"
    )
    return stored.join(records.select("record_id", "person_id"), on="record_id").select("unique_id", "person_id")


def test_run_finds_the_same_people_and_keeps_ids_on_the_next_run(
    linked: tuple[Store, pl.DataFrame], tmp_path: Path
) -> None:
    store, records = linked
    first = run_linkage(store, started_by="test")
    truth = _truth(store, records)
    assert first.records == truth.height == first.new_records
    assert truth.height >= records.height - 5  # a record with no identifying value has no person record
    assert first.cross_org_entities > 0
    accuracy = cluster_accuracy(entity_assignments(store).rename({"entity_id": "cluster_id"}), truth)
    assert accuracy.precision >= 0.9, accuracy.line()
    assert accuracy.recall >= 0.6, accuracy.line()
    before = entity_assignments(store)

    # a new batch: same people seen again, plus new people
    more = person_records(1500, seed=7, organisations=3).tail(300).with_columns(
        ("NEW-" + pl.col("record_id")).alias("record_id")
    )
    _ingest(store, more, tmp_path, "second")
    second = run_linkage(store, started_by="test")
    assert 295 <= second.new_records <= 300 and second.records == first.records + second.new_records
    after = entity_assignments(store)
    kept = before.join(after, on="unique_id", suffix="_after")
    absorbed = {b for _, b in second.merged}
    changed = kept.filter(pl.col("entity_id") != pl.col("entity_id_after"))
    # an old record changes entity only when its entity merged into an older one
    assert set(changed["entity_id"].to_list()) <= absorbed
    assert changed.height <= kept.height // 50
    # the new records mostly joined existing entities
    old_ids = set(before["entity_id"].to_list())
    new_records = after.join(before, on="unique_id", how="anti")
    assert new_records.filter(pl.col("entity_id").is_in(list(old_ids))).height >= 150

    table = entity_table(store)
    assert table["records"].sum() == second.records
    assert linked_records(store)["country"].null_count() == 0


def test_hit_no_hit_tells_only_whom_to_contact_and_records_everything(linked: tuple[Store, pl.DataFrame]) -> None:
    store, records = linked
    run_linkage(store, started_by="test")
    orgs = sorted(records["org"].unique().to_list())
    holder = records.filter(pl.col("phone").is_not_null()).row(0, named=True)
    asker = next(o for o in orgs if o != holder["org"])
    holders_of_phone = set(records.filter(pl.col("phone") == holder["phone"])["org"].to_list()) - {asker}

    answer = ask(store, org=asker, asked_by="ana", purpose="case 17", kind="phone", query={"value": holder["phone"]})
    assert answer.hit and set(answer.organisations) == holders_of_phone
    # the owner sees a pending notice, decides once
    notice = next(n for n in inbox(store, holder["org"], pending_only=True) if n.query_id == answer.query_id)
    assert notice.asking_org == asker and notice.purpose == "case 17" and notice.status == "pending"
    done = decide(store, notice.id, org=holder["org"], decided_by="owner", disclose=True, note="ok")
    assert done.status == "disclosed" and done.decided_by == "owner"
    with pytest.raises(ConflictError):
        decide(store, notice.id, org=holder["org"], decided_by="owner", disclose=False)
    with pytest.raises(NotFoundError):
        decide(store, notice.id, org=asker, decided_by="intruder", disclose=True)
    assert any(n.id == notice.id and n.status == "disclosed" for n in answers(store, asker))

    # a person query with the holder's own spelling is a hit; a stranger is not
    person = records.filter(pl.col("birth_date").is_not_null() & pl.col("family_name").is_not_null()).row(0, named=True)
    asker2 = next(o for o in orgs if o != person["org"])
    hit = ask(store, org=asker2, asked_by="ana", purpose="case 18", kind="person",
              query={"given_name": person["given_name"], "family_name": person["family_name"],
                     "birth_date": person["birth_date"], "sex": person["sex"], "citizenship": person["citizenship"]})
    assert hit.hit and person["org"] in hit.organisations
    miss = ask(store, org=asker2, asked_by="ana", purpose="case 19", kind="person",
               query={"given_name": "Zebulon", "family_name": "Quatermain", "birth_date": "1901-01-01"})
    assert not miss.hit and miss.organisations == []
    nothing = ask(
        store, org=asker, asked_by="ana", purpose="case 20", kind="email", query={"value": "x@nowhere.example"}
    )
    assert not nothing.hit

    with pytest.raises(InputError, match="purpose"):
        ask(store, org=asker, asked_by="ana", purpose=" ", kind="phone", query={"value": holder["phone"]})
    with pytest.raises(InputError, match="kind"):
        ask(store, org=asker, asked_by="ana", purpose="x", kind="shoe size", query={"value": "44"})
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(hit_query)).scalar_one() == 4


def test_own_records_are_never_a_hit(linked: tuple[Store, pl.DataFrame]) -> None:
    store, records = linked
    run_linkage(store, started_by="test")
    phone_owners = records.drop_nulls("phone").group_by("phone").agg(pl.col("org").n_unique().alias("n"))
    single = records.join(phone_owners.filter(pl.col("n") == 1), on="phone").row(0, named=True)
    answer = ask(
        store, org=single["org"], asked_by="ana", purpose="own", kind="phone", query={"value": single["phone"]}
    )
    assert not answer.hit
