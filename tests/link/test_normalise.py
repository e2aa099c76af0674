"""Normalisation of identifying values: scripts, phones, documents, e-mails, and the person frame."""

from __future__ import annotations

import polars as pl
import pytest

from palermo.errors import InputError
from palermo.link.normalise import (
    document_series,
    e164,
    email_series,
    latin_name,
    phone_series,
    phonetic,
)
from palermo.link.persons import LINK_COLUMNS, prepare_persons


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Олена", "olena"),
        ("ŞTEFAN", "stefan"),
        ("Nguyễn  Văn", "nguyen van"),
        ("王伟", "wang wei"),
        ("O'Brien-Smith", "o brien smith"),
        ("  ", None),
    ],
)
def test_latin_name_reads_every_script(written: str, expected: str | None) -> None:
    assert latin_name(written) == expected


def test_phonetic_key_is_per_word() -> None:
    assert phonetic("olena kovalenko") == "OLN KFLNK"
    assert phonetic("smith") == phonetic("smyth")


def test_phones_become_e164_with_the_region_they_were_written_in() -> None:
    assert e164("+380 50 123 4567") == "+380501234567"
    assert e164("050 123 4567", "UA") == "+380501234567"
    assert e164("050 123 4567") is None  # no country: cannot tell
    assert e164("not a phone", "UA") is None
    phones = pl.Series("phone", ["050 123 4567", "050 123 4567", None, "+66 81 234 5678"])
    regions = pl.Series("region", ["UA", "PL", "UA", None])
    out = phone_series(phones, regions).to_list()
    assert out[0] == "+380501234567"
    assert out[1] != out[0]  # the same digits read in Poland are another number (or none)
    assert out[2] is None
    assert out[3] == "+66812345678"


def test_documents_and_emails() -> None:
    assert document_series(pl.Series(["ab 12-34 56", "x1", None])).to_list() == ["AB123456", None, None]
    assert email_series(pl.Series([" A.B@Example.COM ", "no-at-sign", "a@b@c", None])).to_list() == [
        "a.b@example.com", None, None, None,
    ]


def test_prepare_persons_splits_full_names_and_keys_ignore_order() -> None:
    frame = pl.DataFrame(
        {
            "unique_id": ["1", "2", "3"],
            "given_name": ["Olena", None, "Kovalenko"],
            "family_name": ["Kovalenko", None, "Olena"],
            "full_name": [None, "Olena Kovalenko", None],
            "birth_date": ["1990-02-03", "1990-02-03T00:00:00", None],
            "birth_year": [None, None, "1990"],
        }
    )
    out = prepare_persons(frame)
    assert out.columns == list(LINK_COLUMNS)
    assert out["given"].to_list() == ["olena", "olena", "kovalenko"]
    assert out["family"].to_list() == ["kovalenko", "kovalenko", "olena"]
    assert out["name_key"].n_unique() == 1  # swapped names share the key
    assert out["birth_date"].to_list() == ["1990-02-03", "1990-02-03", None]
    assert out["birth_year"].to_list() == ["1990", "1990", "1990"]


def test_prepare_persons_refuses_missing_or_repeated_ids() -> None:
    with pytest.raises(InputError, match="unique_id"):
        prepare_persons(pl.DataFrame({"given_name": ["a"]}))
    with pytest.raises(InputError, match="unique"):
        prepare_persons(pl.DataFrame({"unique_id": ["1", "1"], "given_name": ["a", "b"]}))
