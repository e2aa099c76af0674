"""The generated linkage benchmark: deterministic, unique ids, overlap as asked, realistic variation, exact truth."""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path

import phonenumbers
import polars as pl
import pytest

from palermo.demo.linkage_benchmark import COLUMNS, person_records, true_pairs, write_benchmark
from palermo.demo.orgs import ORGANISATIONS

N = 4000
SHARE = 0.3


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return person_records(N, seed=11, share_multi=SHARE)


def test_columns_ids_and_size(records: pl.DataFrame) -> None:
    assert records.columns == list(COLUMNS)
    assert all(dtype == pl.String for dtype in records.dtypes)
    assert records["record_id"].is_unique().all()
    assert records["record_id"].null_count() == records["person_id"].null_count() == 0
    assert abs(records.height - N) < 0.05 * N
    assert records["sex"].drop_nulls().is_in(["Feminine", "Masculine"]).all()
    assert records["citizenship"].drop_nulls().str.contains("^[A-Z]{2}$").all()


def test_deterministic_for_a_seed() -> None:
    first = person_records(1200, seed=5)
    assert first.equals(person_records(1200, seed=5))
    assert not first.equals(person_records(1200, seed=6))


@pytest.mark.parametrize(("share", "organisations"), [(SHARE, 5), (0.1, 3), (0.5, 7)])
def test_share_of_people_at_several_organisations(records: pl.DataFrame, share: float, organisations: int) -> None:
    frame = records if share == SHARE else person_records(2500, seed=2, share_multi=share,
                                                           organisations=organisations)
    per_person = frame.group_by("person_id").agg(orgs=pl.col("org").n_unique(), rows=pl.len())
    assert abs((per_person["orgs"] >= 2).mean() - share) < 0.04  # type: ignore[operator]
    assert per_person["orgs"].max() == min(4, organisations)
    assert frame["org"].n_unique() == organisations
    assert (per_person["rows"] > per_person["orgs"]).any()  # some registered twice by one organisation


def _scripts(text: str | None) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in text or "" if ch.isalpha()}


def test_names_in_native_scripts(records: pl.DataFrame) -> None:
    names = records.select(pl.concat_str("given_name", "family_name", "full_name", separator=" ", ignore_nulls=True))
    scripts = set().union(*(_scripts(text) for text in names.to_series()))
    assert len(scripts & {"CYRILLIC", "THAI", "KHMER", "MYANMAR", "LAO", "ARABIC", "CJK", "DEVANAGARI"}) >= 4


def _pairs_with(records: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Each true pair with ``columns`` of both records (suffixes _l and _r)."""
    def side(s: str) -> pl.DataFrame:
        return records.select(pl.col("record_id").alias(f"record_id_{s}"), *(pl.col(c).alias(f"{c}_{s}")
                                                                             for c in columns))
    return true_pairs(records).join(side("l"), on="record_id_l").join(side("r"), on="record_id_r")


def test_swapped_names_typos_and_missing_birth_dates(records: pl.DataFrame) -> None:
    pairs = _pairs_with(records, ["given_name", "family_name"])
    swapped = pairs.filter((pl.col("given_name_l") == pl.col("family_name_r"))
                           & (pl.col("family_name_l") == pl.col("given_name_r"))
                           & (pl.col("given_name_l") != pl.col("family_name_l")))
    assert swapped.height >= 5
    differ = pairs.filter(pl.col("given_name_l") != pl.col("given_name_r"))
    assert differ.height > 0.1 * pairs.height
    birth = records.select("birth_date", "birth_year")
    year_only = birth.filter(pl.col("birth_date").is_null() & pl.col("birth_year").is_not_null())
    missing = birth.filter(pl.col("birth_year").is_null())
    assert 0.03 * N < year_only.height < 0.2 * N
    assert 0.05 * N < missing.height < 0.25 * N
    dated = birth.drop_nulls()
    assert dated["birth_date"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    assert (dated["birth_date"].str.slice(0, 4) == dated["birth_year"]).all()


def _e164(phone: str, org: str) -> str:
    country = {o.name: o.country for o in ORGANISATIONS}[org]
    number = phonenumbers.parse("+" + phone[2:] if phone.startswith("00") else phone, country)
    assert phonenumbers.is_valid_number(number), phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_phones_valid_in_several_formats_and_some_shared(records: pl.DataFrame) -> None:
    phones = records.filter(pl.col("phone").is_not_null()).select("phone", "org", "person_id")
    phones = phones.with_columns(e164=pl.Series([_e164(p, o) for p, o in phones.select("phone", "org").iter_rows()]))
    assert phones["phone"].str.contains(" ").any() and phones["phone"].str.starts_with("+").any()
    assert phones["phone"].str.starts_with("00").any()
    assert (phones.group_by("e164").agg(pl.col("phone").n_unique())["phone"] > 1).any()  # same number, two ways
    shared = phones.group_by("e164").agg(people=pl.col("person_id").n_unique()).filter(pl.col("people") > 1)
    assert shared.height >= 5


def test_other_identifiers(records: pl.DataFrame) -> None:
    assert records["email"].drop_nulls().str.contains(r"^[^@\s]+@[a-z.]+$").all()
    assert records["passport"].drop_nulls().len() > 0.2 * N
    banks = records["bank_account"].drop_nulls()
    assert banks.str.contains(r"^[A-Z]{2}\d{2}").any() and banks.str.contains(" ").any()
    assert records["alias"].drop_nulls().len() > 0
    assert records["city"].drop_nulls().len() > 0.3 * N


def test_true_pairs_match_brute_force(records: pl.DataFrame) -> None:
    people = records["person_id"].unique().sort().gather_every(5)
    sample = records.filter(pl.col("person_id").is_in(people.implode()))
    by_person: dict[str, list[str]] = {}
    for record_id, person_id in sample.select("record_id", "person_id").iter_rows():
        by_person.setdefault(person_id, []).append(record_id)
    expected = sorted((*sorted(pair), person_id) for person_id, ids in by_person.items()
                      for pair in itertools.combinations(ids, 2))
    got = true_pairs(sample)
    assert got.columns == ["record_id_l", "record_id_r", "person_id"]
    assert got.rows() == expected
    assert len(expected) > 50


def test_write_benchmark(tmp_path: Path) -> None:
    path = write_benchmark(tmp_path / "bench", 300, seed=4)
    text = path.read_text(encoding="utf-8")
    assert re.match(",".join(COLUMNS), text)
    assert pl.read_csv(path, infer_schema=False).equals(person_records(300, seed=4))
