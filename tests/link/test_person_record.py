"""The record-by-record preparation gives exactly what the vectorised one gives."""

from __future__ import annotations

import polars as pl
import pytest
from tests.support import shared

from palermo.errors import InputError
from palermo.link.datasets import read_febrl, read_splink_people
from palermo.link.keys import key_values, record_key_values
from palermo.link.person_record import COMPARED_ALONE, prepare_candidates, prepare_record, prepare_records
from palermo.link.persons import INPUT_COLUMNS, LINK_COLUMNS, prepare_persons
from palermo.link.realtime import score_against
from palermo.link.resolve import train

AWKWARD: list[dict[str, str | None]] = [
    {"unique_id": "lone-full", "full_name": "  Maria  del Carmen SANTOS ", "birth_year": "born 1980"},
    {"unique_id": "lone-word", "full_name": "Madonna", "birth_date": "1958-08-16T00:00:00"},
    {"unique_id": "cyrillic", "given_name": "Олена", "family_name": "Коваленко", "birth_date": "1990-02-30",
     "birth_year": "1990"},
    {"unique_id": "cjk", "full_name": "王伟", "sex": " Male ", "citizenship": " cn "},
    {"unique_id": "empty", "given_name": "", "family_name": "   ", "full_name": "", "alias": "", "email": "",
     "phone": "", "postcode": " ", "city": ""},
    {"unique_id": "punctuation", "given_name": "O'Brien-Smith", "family_name": "!!!", "alias": "Big Jo",
     "address": "12, Rue de l'Église", "postcode": "ab1 2cd", "city": "Saint-Étienne"},
    {"unique_id": "contacts", "phone": "081 234 5678", "phone_region": "TH", "email": " Someone@Example.ORG ",
     "document": "ab-12 34", "bank_account": "GB29 NWBK 6016 1331 9268 19"},
    {"unique_id": "bad-contacts", "phone": "12", "email": "a@b@c", "document": "a-1", "bank_account": "x"},
    {"unique_id": "e164", "phone": "+66 81 234 5678", "birth_date": "1980-1-5", "sex": "F"},
    {"unique_id": "nothing"},
]


def _both(records: list[dict[str, str | None]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    frame = pl.DataFrame(
        [{name: record.get(name) for name in INPUT_COLUMNS} for record in records],
        schema={name: pl.Utf8 for name in INPUT_COLUMNS},
    )
    return prepare_persons(frame), prepare_records(records)


def test_awkward_records_are_prepared_alike() -> None:
    vectorised, one_by_one = _both(AWKWARD)
    assert one_by_one.columns == list(LINK_COLUMNS)
    assert one_by_one.to_dicts() == vectorised.to_dicts()
    lone = one_by_one.row(0, named=True)
    assert (lone["given"], lone["family"], lone["birth_year"]) == ("maria", "del carmen santos", "1980")
    assert one_by_one.row(6, named=True)["phone"] == "+66812345678"


@pytest.mark.parametrize(
    ("reader", "path"),
    [
        (read_febrl, "record_linkage/febrl/dataset4a.csv"),
        (read_splink_people, "record_linkage/splink/fake_1000.csv"),
    ],
)
def test_benchmark_records_are_prepared_alike(reader: object, path: str) -> None:
    raw = reader(shared(path)).drop("truth").head(2000)  # type: ignore[operator]
    records = [{k: (None if v is None else str(v)) for k, v in row.items()} for row in raw.iter_rows(named=True)]
    vectorised, one_by_one = _both(records)
    assert one_by_one.to_dicts() == vectorised.to_dicts()


def test_a_record_needs_an_id_and_ids_must_differ() -> None:
    with pytest.raises(InputError):
        prepare_record({"given_name": "Ana"})
    with pytest.raises(InputError):
        prepare_records([{"unique_id": "1"}, {"unique_id": "1"}])


def _benchmark_records(rows: int) -> list[dict[str, str | None]]:
    raw = read_splink_people(shared("record_linkage/splink/fake_1000.csv")).drop("truth").head(rows)
    return [{k: (None if v is None else str(v)) for k, v in row.items()} for row in raw.iter_rows(named=True)]


def test_key_values_of_one_record_are_the_vectorised_ones() -> None:
    records = AWKWARD + _benchmark_records(1000)
    prepared = prepare_records(records)
    vectorised = key_values(prepared).sort("unique_id", "kind", "value")
    one_by_one = pl.DataFrame(
        [(row["unique_id"], kind, value) for row in prepared.iter_rows(named=True)
         for kind, value in record_key_values(row)],
        schema={"unique_id": pl.Utf8, "kind": pl.Utf8, "value": pl.Utf8}, orient="row",
    ).sort("unique_id", "kind", "value")
    assert one_by_one.height > 1000  # person keys and e-mails of most records
    assert one_by_one.to_dicts() == vectorised.to_dicts()


def test_candidates_prepared_for_a_query_score_as_fully_prepared_ones() -> None:
    records = _benchmark_records(1000)
    model = train(prepare_records(records), seed=1)
    compared = {c["output_column_name"] for c in model["comparisons"]}
    assert {"email", "city"} <= compared  # the fields the query below lacks are in the model
    for record in records[:40:4]:
        query = prepare_record({"unique_id": "__query__", "given_name": record["given_name"],
                                "family_name": record["family_name"], "birth_date": record["birth_date"]})
        candidates = records[:60]
        full, pruned = prepare_records(candidates), prepare_candidates(candidates, query)
        assert pruned["email"].null_count() == pruned.height and full["email"].null_count() < full.height
        assert pruned.drop(*COMPARED_ALONE).to_dicts() == full.drop(*COMPARED_ALONE).to_dicts()
        asked = pl.DataFrame([query], schema=full.schema)
        expected = score_against(asked, full, model).sort("unique_id")
        scored = score_against(asked, pruned, model).sort("unique_id")
        assert scored["unique_id"].to_list() == expected["unique_id"].to_list()
        assert scored["match_probability"].to_list() == pytest.approx(expected["match_probability"].to_list(),
                                                                      abs=1e-12)
        probabilities = dict(zip(expected["unique_id"].to_list(), expected["match_probability"].to_list(), strict=True))
        others = sorted(probabilities.values())
        assert probabilities[record["unique_id"]] > 100 * others[len(others) // 2]  # the record itself stands out
