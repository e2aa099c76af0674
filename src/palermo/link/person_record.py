"""One person record (or a few) normalised for linkage without a data frame per step.

:func:`palermo.link.persons.prepare_persons` is built for many records: every step is a polars
operation, so a frame of one row still pays some eighty small queries (about 14 ms). A hit/no-hit
query prepares one record and its few candidates on every request, so this module gives the same
result record by record, from the same scalar functions (:mod:`palermo.link.normalise`);
``tests/link/test_person_record.py`` checks, on real and awkward records, that both agree exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import polars as pl

from ..errors import InputError
from .normalise import document_value, e164, email_value, latin_address, latin_name, phonetic
from .persons import INPUT_COLUMNS, LINK_COLUMNS

_YEAR = re.compile(r"(\d{4})")
_SPACES = re.compile(r"\s+")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _map(value: str | None, function: Callable[[str], str | None]) -> str | None:
    return None if value is None else function(value)


def _sorted_words(value: str | None) -> str | None:
    return None if value is None else " ".join(sorted(value.split(" ")))


def _iso_date(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value[:10], "%Y-%m-%d").date().isoformat()
    except ValueError:
        return None


def _names(raw: Mapping[str, str | None]) -> dict[str, str | None]:
    given, family, full = (_map(raw[c], latin_name) for c in ("given_name", "family_name", "full_name"))
    if given is None and family is None and full is not None:
        # A lone full name: its first word as given name, the rest as family name.
        given, _, family = full.partition(" ")
    family = family or None
    full_name = " ".join(part for part in (given, family) if part is not None)
    full_ph = phonetic(full_name)
    return {
        "given": given, "family": family, "full_name": full_name, "name_sorted": _sorted_words(full_name),
        "name_key": _sorted_words(full_ph), "given_ph": _map(given, phonetic), "family_ph": _map(family, phonetic),
    }


def prepare_record(record: Mapping[str, object]) -> dict[str, str | None]:
    """One person record (input columns of :mod:`palermo.link.persons`) as :data:`LINK_COLUMNS` values."""
    raw = {name: _text(record.get(name)) for name in INPUT_COLUMNS}
    if raw["unique_id"] is None:
        raise InputError("person records need a unique_id", column="unique_id")
    birth_date = _iso_date(raw["birth_date"])
    year = _YEAR.search(raw["birth_year"] or "")
    out: dict[str, str | None] = {
        "unique_id": raw["unique_id"],
        "source_dataset": raw["source_dataset"],
        **_names(raw),
        "alias": _map(raw["alias"], latin_name),
        "birth_date": birth_date,
        "birth_year": birth_date[:4] if birth_date else (year.group(1) if year else None),
        "sex": _map(raw["sex"], lambda v: v.strip().lower()),
        "citizenship": _map(raw["citizenship"], lambda v: v.strip().upper()),
        "phone": _map(raw["phone"], lambda v: e164(v, raw["phone_region"])),
        "email": _map(raw["email"], email_value),
        "document": _map(raw["document"], document_value),
        "bank_account": _map(raw["bank_account"], document_value),
        "address": _map(raw["address"], latin_address),
        "postcode": _map(raw["postcode"], lambda v: _SPACES.sub("", v).upper()),
        "city": _map(raw["city"], latin_name),
    }
    return {name: (None if name != "unique_id" and out[name] == "" else out[name]) for name in LINK_COLUMNS}


COMPARED_ALONE: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "phone_region"), "email": ("email",), "document": ("document",),
    "bank_account": ("bank_account",), "address": ("address",), "postcode": ("postcode",), "city": ("city",),
    "citizenship": ("citizenship",), "sex": ("sex",), "alias": ("alias",),
}
"""Prepared fields that no comparison reads together with another field (alias: none reads it), with the
input fields each comes from. Each comparison's first level is "null on either side" (:mod:`palermo.link.model`)."""


def prepare_candidates(records: Iterable[Mapping[str, object]], query: Mapping[str, str | None]) -> pl.DataFrame:
    """Candidates of one prepared ``query`` record, prepared only in the fields the query can be compared on.

    A field the query lacks scores the same whatever a candidate holds there (the null level), so it
    is left empty instead of normalised: parsing every candidate's phone was a third of a person query.
    """
    skipped = dict.fromkeys(
        source for field, sources in COMPARED_ALONE.items() if query.get(field) is None for source in sources
    )
    return prepare_records({**record, **skipped} for record in records)


def prepare_records(records: Iterable[Mapping[str, object]]) -> pl.DataFrame:
    """A few person records as the frame :func:`palermo.link.persons.prepare_persons` gives for them."""
    rows = [prepare_record(record) for record in records]
    ids = [row["unique_id"] for row in rows]
    if len(set(ids)) != len(ids):
        raise InputError("unique_id must be present and unique in every record", column="unique_id")
    return pl.DataFrame(rows, schema={name: pl.Utf8 for name in LINK_COLUMNS})
