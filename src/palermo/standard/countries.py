"""Countries (ISO 3166-1 via pycountry, with UN M49 regions) and languages (ISO 639 via pycountry).

Values from partners come as alpha-2 or alpha-3 codes, numeric codes, official or common names and
many local spellings; :func:`country_code` turns each into one ISO 3166-1 alpha-2 code, ignoring case,
accents and punctuation. ``XK`` (Kosovo) is accepted: it is user-assigned in ISO 3166 but used by
UNODC, CTDC and the EU. Regions follow UN M49 (``data/m49.csv``, see ``data/m49.md``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from functools import cache
from importlib import resources
from typing import NamedTuple

import pycountry

from ..errors import NotFoundError

KOSOVO = "XK"
_KOSOVO_NAME = "Kosovo"

_STOPWORDS = frozenset({"the", "of", "and"})
_ABBREVIATIONS = {"rep": "republic", "st": "saint", "ste": "sainte", "is": "islands", "isl": "islands"}

_COUNTRY_ALIASES: dict[str, str] = {
    # Common English short forms and former names that pycountry does not carry.
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "usa": "US",
    "united states": "US",
    "america": "US",
    "uae": "AE",
    "emirates": "AE",
    "russia": "RU",
    "ussr": "RU",
    "ivory coast": "CI",
    "cote divoire": "CI",
    "czech republic": "CZ",
    "czech rep": "CZ",
    "czech": "CZ",
    "turkey": "TR",
    "turkiye": "TR",
    "kosovo": KOSOVO,
    "kosovo under unscr 1244": KOSOVO,
    "xkx": KOSOVO,
    "kos": KOSOVO,
    "cape verde": "CV",
    "swaziland": "SZ",
    "macedonia": "MK",
    "north macedonia": "MK",
    "former yugoslav republic macedonia": "MK",
    "burma": "MM",
    "east timor": "TL",
    "timor leste": "TL",
    "zaire": "CD",
    "drc": "CD",
    "dr congo": "CD",
    "democratic republic congo": "CD",
    "congo kinshasa": "CD",
    "congo brazzaville": "CG",
    "republic congo": "CG",
    "south korea": "KR",
    "korea south": "KR",
    "north korea": "KP",
    "korea north": "KP",
    "laos": "LA",
    "lao pdr": "LA",
    "syria": "SY",
    "iran": "IR",
    "moldova": "MD",
    "moldavia": "MD",
    "bolivia": "BO",
    "tanzania": "TZ",
    "venezuela": "VE",
    "vietnam": "VN",
    "viet nam": "VN",
    "brunei": "BN",
    "palestine": "PS",
    "palestinian territories": "PS",
    "occupied palestinian territory": "PS",
    "palestinian territory occupied": "PS",
    "palestinian authority": "PS",
    "gaza": "PS",
    "west bank": "PS",
    "vatican": "VA",
    "vatican city": "VA",
    "holy see": "VA",
    "micronesia": "FM",
    "hong kong sar": "HK",
    "china hong kong sar": "HK",
    "macau": "MO",
    "china macao sar": "MO",
    "taiwan": "TW",
    "china taiwan province china": "TW",
    "sao tome": "ST",
    "falklands": "FK",
    "falkland islands": "FK",
    "bosnia": "BA",
    "bosnia and herzegowina": "BA",
    "saint kitts": "KN",
    "saint vincent": "VC",
    "saint martin": "MF",
    "sint maarten": "SX",
    "us virgin islands": "VI",
    "british virgin islands": "VG",
    "holland": "NL",
    "netherlands": "NL",
    "kingdom netherlands": "NL",
    "gambia": "GM",
    "bahamas": "BS",
    "surinam": "SR",
    "kyrgyz republic": "KG",
    "slovak republic": "SK",
    "reunion": "RE",
    "curacao": "CW",
    "aland": "AX",
    "svalbard": "SJ",
    "saint helena": "SH",
}
"""Extra spellings, already normalised by :func:`_normalise` (lower case, no accents or punctuation)."""


class M49Area(NamedTuple):
    """Where a country sits in the UN M49 geographic regions (empty string: none)."""

    region: str
    sub_region: str
    intermediate_region: str


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(value: str) -> list[str]:
    text = _fold(value).lower().replace("&", " and ")
    text = re.sub(r"['’`ʼ‘]", "", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    if len(words) > 1:  # a lone "IS" or "ST" is a code (Iceland, Sao Tome), not an abbreviation
        words = [_ABBREVIATIONS.get(w, w) for w in words]
        if words[0] == "the":
            words = words[1:]
    return words


def _normalise(value: str) -> str:
    """Lower case, no accents or punctuation, no leading "the": ``"Côte d'Ivoire"`` -> ``cote divoire``."""
    return " ".join(_tokens(value))


def _bag(value: str) -> str:
    """Order-free key: ``"Korea, Republic of"`` and ``"Republic of Korea"`` both give ``korea republic``."""
    return " ".join(sorted(w for w in _tokens(value) if w not in _STOPWORDS))


def _names(country: object) -> list[str]:
    return [
        str(getattr(country, attr))
        for attr in ("name", "official_name", "common_name")
        if getattr(country, attr, None)
    ]


@cache
def _country_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(exact key -> alpha-2, order-free key -> alpha-2), built once."""
    exact: dict[str, str] = {}
    bags: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = str(country.alpha_2)
        exact[code.lower()] = code
        exact[str(country.alpha_3).lower()] = code
        exact[str(country.numeric)] = code
        for name in _names(country):
            exact.setdefault(_normalise(name), code)
            bags.setdefault(_bag(name), set()).add(code)
    exact[KOSOVO.lower()] = KOSOVO
    for alias, code in _COUNTRY_ALIASES.items():
        exact.setdefault(alias, code)
        bags.setdefault(_bag(alias), set()).add(code)
    unambiguous = {key: next(iter(codes)) for key, codes in bags.items() if len(codes) == 1 and key}
    return exact, unambiguous


@cache
def country_code(value: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a country given as a code (alpha-2, alpha-3, numeric) or name.

    Case, accents, punctuation and word order are ignored (``"Korea, Republic of"``, ``"south korea"``,
    ``"KOR"`` and ``"410"`` all give ``KR``). Kosovo is ``XK``. None when the value is not a country.
    """
    text = value.strip()
    if not text:
        return None
    if text.isdigit() and len(text) <= 3:
        text = text.zfill(3)
    exact, bags = _country_tables()
    if len(text) <= 3 and text.lower() in exact:
        return exact[text.lower()]
    key = _normalise(text)
    found = exact.get(key) if key else None
    if found is None:
        found = bags.get(_bag(text))
    return found


@cache
def country_codes() -> tuple[str, ...]:
    """Every alpha-2 code accepted: the ISO 3166-1 countries of pycountry, and ``XK``, sorted."""
    return tuple(sorted({str(c.alpha_2) for c in pycountry.countries} | {KOSOVO}))


def country_name(code: str) -> str:
    """The English short name of a country: pycountry's common name where ISO's is long ("Bolivia")."""
    alpha_2 = country_code(code)
    if alpha_2 is None:
        raise NotFoundError(f"{code!r} is not an ISO 3166 country code or name")
    if alpha_2 == KOSOVO:
        return _KOSOVO_NAME
    country = pycountry.countries.get(alpha_2=alpha_2)
    assert country is not None
    return str(getattr(country, "common_name", None) or country.name)


@cache
def _m49() -> dict[str, M49Area]:
    text = resources.files("palermo.standard").joinpath("data/m49.csv").read_text(encoding="utf-8")
    return {
        row["alpha_2"]: M49Area(row["region"], row["sub_region"], row["intermediate_region"])
        for row in csv.DictReader(io.StringIO(text))
    }


def m49_area(code: str) -> M49Area | None:
    """The M49 region, sub-region and intermediate region of a country (as :func:`country_code` reads it)."""
    alpha_2 = country_code(code)
    return None if alpha_2 is None else _m49().get(alpha_2)


def m49_region(code: str) -> str | None:
    """The UN M49 region of a country ("Africa", "Americas", "Asia", "Europe", "Oceania"), or None."""
    area = m49_area(code)
    return (area.region or None) if area else None


def m49_subregion(code: str) -> str | None:
    """The UN M49 sub-region of a country (e.g. "South-eastern Asia", "Latin America and the Caribbean")."""
    area = m49_area(code)
    return (area.sub_region or None) if area else None


def m49_intermediate_region(code: str) -> str | None:
    """The UN M49 intermediate region of a country (e.g. "Central America", "Western Africa"), or None."""
    area = m49_area(code)
    return (area.intermediate_region or None) if area else None


_LANGUAGE_ALIASES: dict[str, str] = {
    "greek": "ell",
    "modern greek": "ell",
    "farsi": "fas",
    "persian": "fas",
    "pashto": "pus",
    "punjabi": "pan",
    "kyrgyz": "kir",
    "moldovan": "ron",
    "moldavian": "ron",
    "castilian": "spa",
    "haitian creole": "hat",
    "swahili": "swa",
    "malay": "msa",
    "nepali": "nep",
    "mandarin": "cmn",
    "cantonese": "yue",
    "filipino": "fil",
    "khmer": "khm",
    "serbo croatian": "hbs",
    "sinhalese": "sin",
    "burmese": "mya",
}


def _in_iso_639_2(lang: object) -> bool:
    return hasattr(lang, "alpha_2") or hasattr(lang, "bibliographic")


@cache
def _language_table() -> dict[str, str]:
    table: dict[str, str] = {}
    # ISO 639-1/639-2 languages (those with a two-letter or bibliographic code) win name clashes.
    ranked = sorted(pycountry.languages, key=lambda lang: not _in_iso_639_2(lang))
    for lang in ranked:
        code = str(lang.alpha_3)
        table[code] = code
        for attr in ("alpha_2", "bibliographic"):
            if getattr(lang, attr, None):
                table.setdefault(str(getattr(lang, attr)), code)
    for lang in ranked:
        for attr in ("name", "common_name", "inverted_name"):
            name = getattr(lang, attr, None)
            if name:
                table.setdefault(_normalise(str(name)), str(lang.alpha_3))
    for lang in ranked:  # "Swahili (macrolanguage)" is also plain "Swahili"
        bare = re.sub(r"\s*\(.*\)\s*$", "", str(lang.name))
        table.setdefault(_normalise(bare), str(lang.alpha_3))
    for alias, code in _LANGUAGE_ALIASES.items():
        table[alias] = code
    return table


@cache
def language_code(value: str) -> str | None:
    """The ISO 639 alpha-3 code (639-3, = 639-2/T) of a language given as a 639-1/2/3 code or English name."""
    key = _normalise(value)
    return _language_table().get(key) if key else None
