"""Normalise identifying values for linkage: names in any script, phones, e-mails, documents, accounts.

Every function maps a polars Series to a Series of the same length and works once per distinct
value (names, phones and documents repeat a lot), so a million records cost as much as their
vocabulary. Libraries used: ``anyascii`` transliterates any script to Latin (Олена → Olena,
王伟 → Wang Wei), ``jellyfish`` gives phonetic keys (Double Metaphone is not in it; Metaphone is
enough for blocking), ``phonenumbers`` (Google's libphonenumber) parses phones to E.164.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import jellyfish
import phonenumbers
import polars as pl
from anyascii import anyascii

CACHED_VALUES = 1 << 16
"""Distinct values each normaliser remembers: hit/no-hit queries normalise the same common names,
cities and numbers again and again, one record at a time (:mod:`palermo.link.person_record`)."""

_NOT_LETTER = re.compile(r"[^a-z ]+")
_NOT_ADDRESS = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _per_distinct(series: pl.Series, function: Callable[[str], str | None]) -> pl.Series:
    """Apply ``function`` once per distinct non-null value of a string series."""
    text = series.cast(pl.Utf8)
    distinct = text.drop_nulls().unique()
    mapping = {value: function(value) for value in distinct.to_list()}
    return text.replace_strict(mapping, default=None, return_dtype=pl.Utf8).alias(series.name)


@lru_cache(maxsize=CACHED_VALUES)
def latin_name(value: str) -> str | None:
    """A name in lower-case Latin letters and single spaces, whatever its script ("ŞTEFAN" → "stefan")."""
    if _CJK.search(value):
        # anyascii joins syllables of CJK names ("王伟" → "WangWei"): split them back.
        value = " ".join(anyascii(ch) if _CJK.match(ch) else ch for ch in value)
    folded = anyascii(unicodedata.normalize("NFKC", value)).lower()
    cleaned = _SPACES.sub(" ", _NOT_LETTER.sub(" ", folded)).strip()
    return cleaned or None


def name_series(series: pl.Series) -> pl.Series:
    """Names transliterated to lower-case Latin (see :func:`latin_name`)."""
    return _per_distinct(series, latin_name)


@lru_cache(maxsize=CACHED_VALUES)
def phonetic(value: str) -> str | None:
    """The Metaphone key of each word of a Latin name, space-separated ("olena kovalenko" → "OLN KFLNK")."""
    keys = [jellyfish.metaphone(word) for word in value.split()]
    joined = " ".join(key for key in keys if key)
    return joined or None


def phonetic_series(series: pl.Series) -> pl.Series:
    """Metaphone keys of names already passed through :func:`name_series`."""
    return _per_distinct(series, phonetic)


@lru_cache(maxsize=CACHED_VALUES)
def e164(value: str, region: str | None = None) -> str | None:
    """A phone number in E.164 (+380501234567), or None if it cannot be a valid number.

    ``region`` (ISO alpha-2) is where a number written without its country code was noted down.
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_series(series: pl.Series, region: pl.Series | None = None) -> pl.Series:
    """Phones in E.164; ``region`` gives, per row, the country to read local numbers in."""
    if region is None:
        return _per_distinct(series, e164)
    frame = pl.DataFrame({"value": series.cast(pl.Utf8), "region": region.cast(pl.Utf8)})
    distinct = frame.drop_nulls("value").unique()
    parsed = [
        e164(value, region)
        for value, region in zip(distinct["value"].to_list(), distinct["region"].to_list(), strict=True)
    ]
    lookup = distinct.with_columns(pl.Series("e164", parsed, dtype=pl.Utf8))
    joined = frame.join(lookup, on=["value", "region"], how="left", nulls_equal=True, maintain_order="left")
    return joined["e164"].alias(series.name)


def email_value(value: str) -> str | None:
    """An e-mail address trimmed and lower-cased; None unless it holds exactly one "@"."""
    cleaned = value.strip().lower()
    return cleaned if cleaned.count("@") == 1 else None


def email_series(series: pl.Series) -> pl.Series:
    """E-mail addresses trimmed and lower-cased; values without one "@" become null."""
    cleaned = series.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    missing = pl.Series(series.name, [None] * len(cleaned), dtype=pl.Utf8)
    return cleaned.zip_with(cleaned.str.count_matches("@") == 1, missing)


@lru_cache(maxsize=CACHED_VALUES)
def document_value(value: str) -> str | None:
    """A document number or account as upper-case letters and digits only; None if shorter than 4."""
    cleaned = _NOT_ALNUM.sub("", anyascii(value).upper())
    return cleaned if len(cleaned) >= 4 else None


def document_series(series: pl.Series) -> pl.Series:
    """Document numbers, bank accounts and IBANs as upper-case letters and digits only (spaces, dashes dropped)."""
    return _per_distinct(series, document_value)


@lru_cache(maxsize=CACHED_VALUES)
def latin_address(value: str) -> str | None:
    """An address in lower-case Latin letters, digits and single spaces."""
    folded = anyascii(unicodedata.normalize("NFKC", value)).lower()
    cleaned = _SPACES.sub(" ", _NOT_ADDRESS.sub(" ", folded)).strip()
    return cleaned or None


def address_series(series: pl.Series) -> pl.Series:
    """Addresses transliterated, lower-cased, punctuation and repeated spaces removed (digits kept)."""
    return _per_distinct(series, latin_address)
