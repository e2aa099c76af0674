"""ISO 3166 countries, UN M49 regions and ISO 639 languages."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pycountry
import pytest

from palermo.errors import NotFoundError
from palermo.standard.countries import (
    _COUNTRY_ALIASES,
    _LANGUAGE_ALIASES,
    country_code,
    country_codes,
    country_name,
    language_code,
    m49_area,
    m49_intermediate_region,
    m49_region,
    m49_subregion,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GLOTIP = DATA / "unodc_glotip" / "data_glotip_2025-04-14.csv"

REGIONS = {"Africa", "Americas", "Asia", "Europe", "Oceania"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("VN", "VN"),
        ("vn", "VN"),
        ("VNM", "VN"),
        ("704", "VN"),
        ("viet nam", "VN"),
        ("Vietnam", "VN"),
        ("Viet-Nam", "VN"),
        ("Russia", "RU"),
        ("Russian Federation", "RU"),
        ("RUS", "RU"),
        ("UK", "GB"),
        ("United Kingdom", "GB"),
        ("GBR", "GB"),
        ("Great Britain", "GB"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("USA", "US"),
        ("United States of America", "US"),
        ("united states", "US"),
        ("840", "US"),
        ("Côte d'Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("COTE D'IVOIRE", "CI"),
        ("Ivory Coast", "CI"),
        ("CIV", "CI"),
        ("Laos", "LA"),
        ("Lao People's Democratic Republic", "LA"),
        ("Syria", "SY"),
        ("Syrian Arab Republic", "SY"),
        ("Iran", "IR"),
        ("Iran (Islamic Republic of)", "IR"),
        ("South Korea", "KR"),
        ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"),
        ("KOR", "KR"),
        ("North Korea", "KP"),
        ("Korea (Democratic People's Republic of)", "KP"),
        ("Democratic People's Republic of Korea", "KP"),
        ("Moldova", "MD"),
        ("Republic of Moldova", "MD"),
        ("MDA", "MD"),
        ("Bolivia", "BO"),
        ("Bolivia (Plurinational State of)", "BO"),
        ("Tanzania", "TZ"),
        ("United Republic of Tanzania", "TZ"),
        ("Venezuela", "VE"),
        ("Venezuela (Bolivarian Republic of)", "VE"),
        ("Czech Republic", "CZ"),
        ("Czechia", "CZ"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("TURKIYE", "TR"),
        ("Kosovo", "XK"),
        ("XK", "XK"),
        ("XKX", "XK"),
        ("Kosovo under UNSCR 1244", "XK"),
        ("Philippines", "PH"),
        ("PHL", "PH"),
        ("Ukraine", "UA"),
        ("The Ukraine", "UA"),
        ("Congo", "CG"),
        ("Democratic Republic of the Congo", "CD"),
        ("Congo, Democratic Republic of the", "CD"),
        ("DRC", "CD"),
        ("Netherlands (Kingdom of the)", "NL"),
        ("The Netherlands", "NL"),
        ("China, Hong Kong Special Administrative Region", "HK"),
        ("Hong Kong", "HK"),
        ("Macau", "MO"),
        ("Taiwan", "TW"),
        ("Gambia, The", "GM"),
        ("The Gambia", "GM"),
        ("St. Lucia", "LC"),
        ("Saint Kitts and Nevis", "KN"),
        ("St Kitts & Nevis", "KN"),
        ("Dominican Rep", "DO"),
        ("Egypt, Arab Rep.", "EG"),
        ("Swaziland", "SZ"),
        ("Eswatini", "SZ"),
        ("Burma", "MM"),
        ("Cape Verde", "CV"),
        ("Cabo Verde", "CV"),
        ("East Timor", "TL"),
        ("Timor-Leste", "TL"),
        ("The former Yugoslav Republic of Macedonia", "MK"),
        ("State of Palestine", "PS"),
        ("Virgin Islands (U.S.)", "VI"),
        ("Virgin Islands (British)", "VG"),
        ("Curacao", "CW"),
        ("Åland Islands", "AX"),
        ("Aland Islands", "AX"),
        ("Réunion", "RE"),
        # Codes that look like abbreviations or words are still codes.
        ("IS", "IS"),
        ("ST", "ST"),
        ("NA", "NA"),
        ("CAN", "CA"),
        ("PER", "PE"),
        ("4", "AF"),
        ("004", "AF"),
        ("  th  ", "TH"),
        ("Guinea", "GN"),
        ("Equatorial Guinea", "GQ"),
        ("Niger", "NE"),
        ("Nigeria", "NG"),
        ("Sudan", "SD"),
        ("South Sudan", "SS"),
        ("Samoa", "WS"),
        ("American Samoa", "AS"),
        ("Dominica", "DM"),
    ],
)
def test_country_code(value: str, expected: str) -> None:
    assert country_code(value) == expected


@pytest.mark.parametrize(
    "value", ["", "  ", "Narnia", "Sark", "ZZ", "ZZZ", "999", "2", "Africa", "Unknown", "-99"]
)
def test_unknown_country_is_none(value: str) -> None:
    assert country_code(value) is None


def test_every_pycountry_code_and_name_resolves_to_itself() -> None:
    for country in pycountry.countries:
        forms = [country.alpha_2, country.alpha_3, country.numeric, country.name]
        forms += [getattr(country, a) for a in ("official_name", "common_name") if hasattr(country, a)]
        for form in forms:
            assert country_code(form) == country.alpha_2, form
            assert country_code(form.upper()) == country.alpha_2, form


def test_aliases_point_at_real_codes() -> None:
    assert set(_COUNTRY_ALIASES.values()) <= set(country_codes())


def test_country_codes() -> None:
    codes = country_codes()
    assert len(codes) == len(pycountry.countries) + 1
    assert "XK" in codes and list(codes) == sorted(codes)


def test_repeated_calls_are_cached() -> None:
    country_code("Bolivia (Plurinational State of)")
    before = country_code.cache_info().hits
    country_code("Bolivia (Plurinational State of)")
    assert country_code.cache_info().hits == before + 1


def test_country_name() -> None:
    assert country_name("VN") == "Vietnam"
    assert country_name("gbr") == "United Kingdom"
    assert country_name("XK") == "Kosovo"
    assert country_name("FR") == "France"
    with pytest.raises(NotFoundError):
        country_name("Narnia")


@pytest.mark.parametrize(
    ("code", "region", "sub_region", "intermediate"),
    [
        ("PH", "Asia", "South-eastern Asia", None),
        ("UA", "Europe", "Eastern Europe", None),
        ("MD", "Europe", "Eastern Europe", None),
        ("RU", "Europe", "Eastern Europe", None),
        ("US", "Americas", "Northern America", None),
        ("MX", "Americas", "Latin America and the Caribbean", "Central America"),
        ("HT", "Americas", "Latin America and the Caribbean", "Caribbean"),
        ("CO", "Americas", "Latin America and the Caribbean", "South America"),
        ("NG", "Africa", "Sub-Saharan Africa", "Western Africa"),
        ("CD", "Africa", "Sub-Saharan Africa", "Middle Africa"),
        ("UG", "Africa", "Sub-Saharan Africa", "Eastern Africa"),
        ("ZA", "Africa", "Sub-Saharan Africa", "Southern Africa"),
        ("EG", "Africa", "Northern Africa", None),
        ("SD", "Africa", "Northern Africa", None),
        ("KH", "Asia", "South-eastern Asia", None),
        ("KG", "Asia", "Central Asia", None),
        ("AF", "Asia", "Southern Asia", None),
        ("IR", "Asia", "Southern Asia", None),
        ("TR", "Asia", "Western Asia", None),
        ("CY", "Asia", "Western Asia", None),
        ("CN", "Asia", "Eastern Asia", None),
        ("GB", "Europe", "Northern Europe", None),
        ("JE", "Europe", "Northern Europe", "Channel Islands"),
        ("AL", "Europe", "Southern Europe", None),
        ("XK", "Europe", "Southern Europe", None),
        ("DE", "Europe", "Western Europe", None),
        ("AU", "Oceania", "Australia and New Zealand", None),
        ("FJ", "Oceania", "Melanesia", None),
        ("GU", "Oceania", "Micronesia", None),
        ("WS", "Oceania", "Polynesia", None),
    ],
)
def test_m49_spot_checks(code: str, region: str, sub_region: str, intermediate: str | None) -> None:
    assert m49_region(code) == region
    assert m49_subregion(code) == sub_region
    assert m49_intermediate_region(code) == intermediate


def test_m49_accepts_any_country_form_and_rejects_unknown() -> None:
    assert m49_region("Philippines") == "Asia"
    assert m49_subregion("MEX") == "Latin America and the Caribbean"
    assert m49_region("Narnia") is None
    assert m49_area("Narnia") is None


def test_every_country_has_an_m49_region() -> None:
    for code in country_codes():
        area = m49_area(code)
        assert area is not None, code
        if code == "AQ":  # Antarctica belongs to no M49 region
            assert m49_region(code) is None
            continue
        assert area.region in REGIONS, code
        assert area.sub_region, code


def test_m49_file_is_well_formed() -> None:
    text = resources.files("palermo.standard").joinpath("data/m49.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["alpha_2"] for r in rows] == sorted(country_codes())
    hierarchy: dict[str, str] = {}
    for row in rows:
        if row["intermediate_region"]:  # an intermediate region lies in one sub-region only
            assert hierarchy.setdefault(row["intermediate_region"], row["sub_region"]) == row["sub_region"]
        if row["sub_region"]:
            assert hierarchy.setdefault(row["sub_region"], row["region"]) == row["region"]
    assert hierarchy["Latin America and the Caribbean"] == "Americas"
    assert hierarchy["Sub-Saharan Africa"] == "Africa"
    subs_with_intermediates = {hierarchy[r["intermediate_region"]] for r in rows if r["intermediate_region"]}
    assert subs_with_intermediates == {
        "Sub-Saharan Africa",
        "Latin America and the Caribbean",
        "Northern Europe",
    }
    md = resources.files("palermo.standard").joinpath("data/m49.md").read_text(encoding="utf-8")
    assert "UN Statistics Division" in md and "(M49)" in md


@pytest.mark.skipif(not GLOTIP.exists(), reason=f"{GLOTIP} not found")
def test_m49_agrees_with_unodc_glotip() -> None:
    """UNODC's GLOTIP export tags each country with its M49 region and sub-region; ours must agree."""
    seen = 0
    with GLOTIP.open(encoding="utf-8") as handle:
        pairs = {(r["Iso3_code"], r["Country"], r["Region"], r["Subregion"]) for r in csv.DictReader(handle)}
    for iso3, name, region, sub_region in sorted(pairs):
        if not iso3:  # "Sark": in M49, without an ISO code
            continue
        code = country_code(iso3)
        assert code is not None, iso3
        assert country_code(name) == code, name
        assert (m49_region(code), m49_subregion(code)) == (region, sub_region), name
        seen += 1
    assert seen > 190


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("en", "eng"),
        ("eng", "eng"),
        ("English", "eng"),
        ("ENGLISH", "eng"),
        ("fr", "fra"),
        ("fre", "fra"),
        ("fra", "fra"),
        ("French", "fra"),
        ("es", "spa"),
        ("Spanish", "spa"),
        ("Castilian", "spa"),
        ("ru", "rus"),
        ("Russian", "rus"),
        ("uk", "ukr"),
        ("Ukrainian", "ukr"),
        ("ro", "ron"),
        ("rum", "ron"),
        ("Romanian", "ron"),
        ("Moldovan", "ron"),
        ("vi", "vie"),
        ("Vietnamese", "vie"),
        ("tl", "tgl"),
        ("Tagalog", "tgl"),
        ("Filipino", "fil"),
        ("km", "khm"),
        ("Khmer", "khm"),
        ("my", "mya"),
        ("bur", "mya"),
        ("Burmese", "mya"),
        ("Thai", "tha"),
        ("zh", "zho"),
        ("chi", "zho"),
        ("Chinese", "zho"),
        ("Mandarin", "cmn"),
        ("ar", "ara"),
        ("Arabic", "ara"),
        ("fa", "fas"),
        ("per", "fas"),
        ("Persian", "fas"),
        ("Farsi", "fas"),
        ("Swahili", "swa"),
        ("sw", "swa"),
        ("Nepali", "nep"),
        ("Malay", "msa"),
        ("Greek", "ell"),
        ("el", "ell"),
        ("Albanian", "sqi"),
        ("alb", "sqi"),
        ("Amharic", "amh"),
        ("Tigrinya", "tir"),
        ("Uzbek", "uzb"),
        ("Kyrgyz", "kir"),
        ("Pashto", "pus"),
        ("Bengali", "ben"),
        ("Hausa", "hau"),
        ("  de ", "deu"),
        ("ger", "deu"),
        ("German", "deu"),
    ],
)
def test_language_code(value: str, expected: str) -> None:
    assert language_code(value) == expected


@pytest.mark.parametrize("value", ["", "xx", "qqq-not-a-language", "Elvish of Middle-earth"])
def test_unknown_language_is_none(value: str) -> None:
    assert language_code(value) is None


def test_language_aliases_point_at_real_codes() -> None:
    for code in _LANGUAGE_ALIASES.values():
        assert pycountry.languages.get(alpha_3=code) is not None, code
