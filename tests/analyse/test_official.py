"""UNODC GLOTIP figures: every row parsed, censored "<5" values kept as [0, 4] (never 0 or 5), values
spot-checked against the raw CSV read independently, and the join beside pooled cases."""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from pathlib import Path

import polars as pl
import pytest
from tests.support import shared

from palermo.analyse.official import (
    MEASURES,
    glotip_path,
    official_beside_cases,
    official_context,
    parse_values,
    read_glotip,
)

TOTAL = ("Total", "Total", "Total", "Total")


def raw_rows() -> list[dict[str, str]]:
    with Path(glotip_path()).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_shipped_file_is_the_reference_export_unchanged() -> None:
    shipped = Path(glotip_path()).read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == "635d6066323c4836732de226632182ac5850ed5a52412a00f203d1f7dd132e14"
    assert shipped == shared("unodc_glotip/data_glotip_2025-04-14.csv").read_bytes()


def test_every_row_is_parsed() -> None:
    frame = read_glotip()
    assert frame.height == len(raw_rows()) == 58_769
    unparsed = frame.filter(pl.col("censored").is_null())
    assert unparsed.is_empty()
    exact = frame.filter(~pl.col("censored"))
    assert (exact.get_column("value") == exact.get_column("low")).all()
    assert (exact.get_column("value") == exact.get_column("high")).all()
    assert frame.get_column("country").null_count() == 26  # Sark, which has no ISO code
    assert frame.get_column("suspect").sum() == 120


def test_censored_values_are_intervals_never_zero_or_five() -> None:
    frame = read_glotip()
    censored = frame.filter(pl.col("text") == "<5")
    assert censored.height == 29_558
    assert censored.get_column("censored").all()
    assert censored.get_column("value").null_count() == censored.height
    assert set(censored.get_column("low").unique()) == {0}
    assert set(censored.get_column("high").unique()) == {4}
    table = official_context().frame
    for measure in ("victims", "prosecuted", "convicted"):
        hidden = table.filter(pl.col(f"{measure}_censored"))
        assert not hidden.is_empty()
        assert hidden.get_column(measure).null_count() == hidden.height
        assert not hidden.get_column(f"{measure}_high").is_in([5]).any()
        assert (hidden.get_column(f"{measure}_low") == 0).all()


def test_parse_values_on_each_form_of_text() -> None:
    texts = pl.DataFrame({"t": ["<5", "1,192", "87", "12,345,678", "", "n/a", "1,19", "5"]})
    got = texts.select(parse_values(pl.col("t"))).rows()
    assert got == [
        (None, 0, 4, True), (1192, 1192, 1192, False), (87, 87, 87, False),
        (12345678, 12345678, 12345678, False), (None, None, None, None), (None, None, None, None),
        (None, None, None, None), (5, 5, 5, False),
    ]


def test_spot_checks_against_the_raw_csv() -> None:
    wanted: dict[tuple[str, str, str], str | None] = {
        ("NLD", "Detected trafficking victims", "2019"): None,
        ("NLD", "Persons prosecuted", "2021"): None,
        ("DEU", "Persons convicted", "2015"): None,
    }
    for row in raw_rows():
        key = (row["Iso3_code"], row["Indicator"], row["Year"])
        if key in wanted and (row["Dimension"], row["Category"], row["Sex"], row["Age"]) == TOTAL:
            wanted[key] = row["txtVALUE"]
    assert wanted[("NLD", "Detected trafficking victims", "2019")] == "1,372"  # the figure as published
    table = official_context(["Netherlands", "DE"]).frame
    cells = {(r["country"], r["year"]): r for r in table.iter_rows(named=True)}
    assert cells[("NL", 2019)]["victims"] == 1372
    assert cells[("NL", 2021)]["prosecuted"] == int(str(wanted[("NLD", "Persons prosecuted", "2021")]).replace(",", ""))
    convicted = wanted[("DEU", "Persons convicted", "2015")]
    assert convicted is not None
    assert cells[("DE", 2015)]["convicted"] == int(convicted.replace(",", ""))
    assert set(table.get_column("country")) == {"NL", "DE"}


def test_spot_check_of_a_censored_total() -> None:
    row = next(r for r in raw_rows() if r["txtVALUE"] == "<5" and (r["Dimension"], r["Category"], r["Sex"], r["Age"])
               == TOTAL and r["Indicator"] == "Persons convicted" and r["Iso3_code"])
    table = official_context([row["Iso3_code"]]).frame
    cell = table.filter(pl.col("year") == int(row["Year"])).row(0, named=True)
    assert (cell["convicted"], cell["convicted_low"], cell["convicted_high"], cell["convicted_censored"]) == (
        None, 0, 4, True)


def test_the_file_shows_that_censored_values_include_zero() -> None:
    """Where a total is exact and only one sex breakdown is "<5", total minus the others is the hidden
    value: it is 0 in many country-years, so "<5" cannot be read as 1-4."""
    totals: dict[tuple[str, str, str], int] = {}
    parts: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in raw_rows():
        if row["Dimension"] != "Total" or row["Age"] != "Total" or row["Indicator"] not in MEASURES.values():
            continue
        key = (row["Iso3_code"], row["Indicator"], row["Year"])
        if row["Sex"] == "Total":
            if row["txtVALUE"] != "<5":
                totals[key] = int(row["txtVALUE"].replace(",", ""))
        else:
            parts[key].append(row["txtVALUE"])
    hidden = [
        totals[key] - sum(int(v.replace(",", "")) for v in values if v != "<5")
        for key, values in parts.items()
        if key in totals and values.count("<5") == 1
    ]
    assert hidden.count(0) == 188 + 28 + 33
    assert sum(1 <= h <= 4 for h in hidden) == 201 + 45 + 51


def test_official_beside_pooled_cases() -> None:
    cases = pl.DataFrame({
        "cas_registration_year": [2019, 2019, 2019, 2021, 2021, 2024],
        "vic_country_of_exploitation": ["NL", "NL", "NL", "PL", "PL", None],
    })
    table = official_beside_cases(cases)
    cells = {(r["country"], r["year"]): r for r in table.frame.iter_rows(named=True)}
    assert set(table.frame.get_column("country")) == {"NL", "PL"}
    assert cells[("NL", 2019)]["cases"] == 3 and cells[("NL", 2019)]["victims"] == 1372
    assert cells[("NL", 2020)]["cases"] == 0  # within the pooled years, no case
    assert cells[("NL", 2010)]["cases"] is None  # before the pooled data begin
    assert cells[("PL", 2021)]["cases"] == 2
    assert table.counts == ("cases",) and "victims_censored" in table.figures
    assert any("UNODC" in note for note in table.notes)
    only = official_beside_cases(cases, countries=["Poland"])
    assert set(only.frame.get_column("country")) == {"PL"}


@pytest.mark.parametrize("countries", [None, ["XK", "Sark"]])
def test_official_context_has_one_row_per_country_and_year(countries: list[str] | None) -> None:
    frame = official_context(countries).frame
    assert frame.select("country", "year").is_duplicated().sum() == 0
    assert frame.get_column("country").null_count() == 0
