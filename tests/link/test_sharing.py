"""Encoded sharing: files of encodings, linkage on them, encoded hit/no-hit on both backends."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from palermo.demo.linkage_benchmark import as_person_input, person_records
from palermo.errors import InputError
from palermo.link.evaluate import pair_accuracy
from palermo.link.hits import inbox
from palermo.link.persons import prepare_persons
from palermo.link.sharing import (
    PERSON_SCHEMA,
    ask_encoded,
    encode_persons,
    match_files,
    read_encoded,
    share_encodings,
    write_encoded,
)
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

SECRET = b"shared by the organisations, not the platform"


@pytest.fixture(scope="module")
def two_orgs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    records = person_records(3000, seed=5, organisations=2)
    orgs = sorted(records["org"].unique().to_list())
    prepared = prepare_persons(
        as_person_input(records)
    )
    left = prepared.filter(pl.col("source_dataset") == orgs[0])
    right = prepared.filter(pl.col("source_dataset") == orgs[1])
    return left, right, records


def test_encodings_round_trip_through_a_file(tmp_path: Path, two_orgs: tuple[pl.DataFrame, ...]) -> None:
    left = two_orgs[0]
    encoded = encode_persons(left, SECRET)
    write_encoded(encoded, tmp_path / "a.parquet")
    back = read_encoded(tmp_path / "a.parquet")
    assert back.refs == encoded.refs and (back.bits == encoded.bits).all()
    assert back.schema.fingerprint == PERSON_SCHEMA.fingerprint
    assert back.keys.sort(pl.all()).equals(encoded.keys.sort(pl.all()))
    # no name, phone or document of the input is in the file
    raw = (tmp_path / "a.parquet").read_bytes()
    for value in left.filter(pl.col("family").str.len_chars() >= 6)["family"].head(50).to_list():
        assert value.encode() not in raw


def test_encoded_linkage_finds_the_people_both_organisations_hold(two_orgs: tuple[pl.DataFrame, ...]) -> None:
    left, right, records = two_orgs
    pairs = match_files(encode_persons(left, SECRET), encode_persons(right, SECRET))
    truth = records.select("record_id", "person_id")
    true_pairs = (
        left.select("unique_id").join(truth, left_on="unique_id", right_on="record_id")
        .join(right.select("unique_id").join(truth, left_on="unique_id", right_on="record_id"), on="person_id")
        .select(pl.col("unique_id").alias("unique_id_l"), pl.col("unique_id_right").alias("unique_id_r"))
    )
    found = pairs.select(pl.col("record_ref_l").alias("unique_id_l"), pl.col("record_ref_r").alias("unique_id_r"))
    accuracy = pair_accuracy(found, true_pairs)
    assert true_pairs.height > 100
    assert accuracy.precision >= 0.9, accuracy.line()
    assert accuracy.recall >= 0.5, accuracy.line()
    # another secret: nothing links
    assert match_files(encode_persons(left, b"another secret, 16+ bytes"), encode_persons(right, SECRET)).is_empty()


def test_bad_files_are_refused_with_their_name(tmp_path: Path) -> None:
    path = tmp_path / "not-encodings.parquet"
    pl.DataFrame({"x": [1]}).write_parquet(path)
    with pytest.raises(InputError, match=r"not-encodings\.parquet"):
        read_encoded(path)
    text = tmp_path / "text.parquet"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match=r"text\.parquet"):
        read_encoded(text)


def test_encoded_hit_no_hit(store: Store, two_orgs: tuple[pl.DataFrame, ...]) -> None:
    left, right, _ = two_orgs
    holder, asker = left["source_dataset"][0], right["source_dataset"][0]
    add_organisation(store, holder, "NGO", "TH")
    add_organisation(store, asker, "LawEnforcement", "PL")
    assert share_encodings(store, holder, encode_persons(left, SECRET)) == left.height

    person = left.drop_nulls(["birth_date", "family"]).head(1)
    query = encode_persons(person.with_columns(pl.lit("q1").alias("unique_id")), SECRET)
    answer = ask_encoded(store, org=asker, asked_by="ana", purpose="case 3", kind="person", query=query)
    assert answer.hit and answer.organisations == [holder]
    notices = inbox(store, holder)
    assert [n.record_ref for n in notices] == [person["unique_id"][0]] and notices[0].mode == "encoded"

    phone_holder = left.drop_nulls("phone").head(1)
    phone_only = phone_holder.select("unique_id", "phone").with_columns(pl.lit("q2").alias("unique_id"))
    phone_query = encode_persons(prepare_persons(phone_only), SECRET)
    assert ask_encoded(store, org=asker, asked_by="ana", purpose="case 4", kind="phone", query=phone_query).hit
    stranger = pl.DataFrame({"unique_id": ["q3"], "given_name": ["Zebulon"], "family_name": ["Quatermain"],
                             "birth_date": ["1901-01-01"]})
    missed = ask_encoded(store, org=asker, asked_by="ana", purpose="case 5", kind="person",
                         query=encode_persons(prepare_persons(stranger), SECRET))
    assert not missed.hit
    # the holder asking about its own record: no hit
    own = ask_encoded(store, org=holder, asked_by="ana", purpose="own", kind="person", query=query)
    assert not own.hit
    with pytest.raises(InputError, match="exactly one record"):
        ask_encoded(store, org=asker, asked_by="ana", purpose="x", kind="person", query=encode_persons(left, SECRET))
