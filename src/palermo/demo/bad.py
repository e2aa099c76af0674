"""Deliberately bad rows planted in each demo file (about 0.2%), so validation and quarantine have work."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import polars as pl

from .countries import UNKNOWN_COUNTRY
from .records import Row

FORMULA = '=HYPERLINK("http://x","click")'
"""A spreadsheet formula in a text cell: must never be evaluated or exported as is."""
SHARE = 0.002


@dataclass(frozen=True)
class Planted:
    """One planted problem: 0-based data row index, kind, and the column holding it."""

    index: int
    kind: str
    column: str


Changes = tuple[tuple[str, object], ...]
"""The cells a planted problem sets: (column, value); the first column is the one reported."""

CTDC_BAD: dict[str, Changes] = {
    "unknown_country": (("citizenship", "QZ"),),
    "future_year": (("yearOfRegistration", "2091"),),
    "minor_adult_mismatch": (("ageBroad", "9--17"), ("majorityStatus", "Adult")),
    "unknown_code": (("ageBroad", "50--60"),),
    "bad_flag": (("isForcedLabour", "2"),),
    "formula": (("meansOfControlConcatenated", FORMULA),),
}
HTCDS_BAD: dict[str, Changes] = {
    "unknown_country": (("prs_Citizenship", "QZ"),),
    "future_year": (("cas_IncomingReferralDate", date(2091, 3, 14)),),
    "future_birthdate": (("prs_Birthdate", date(2087, 6, 2)),),
    "unknown_code": (("vic_TypeOfExploitation", "SpaceMining"),),
    "formula": (("cas_IncomingReferralDetails", FORMULA),),
}
CUSTOM_BAD: dict[str, Changes] = {
    "unknown_country": (("Nationality", UNKNOWN_COUNTRY),),
    "future_year": (("Date registered", "14/03/2091"),),
    "future_birthdate": (("Date of birth", "02/06/2087"), ("Birth year", None)),
    "unknown_code": (("Type of exploitation", "moonlighting"),),
    "formula": (("Notes", FORMULA),),
}


def _choose(r: random.Random, n_rows: int, kinds: list[str]) -> list[tuple[int, str]]:
    count = min(n_rows, max(len(kinds), round(SHARE * n_rows)))
    rows = sorted(r.sample(range(n_rows), count))
    order = kinds[:]
    r.shuffle(order)
    return [(row, order[k % len(order)]) for k, row in enumerate(rows)]


def plant_ctdc(r: random.Random, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Planted]]:
    """Plant bad values in a CTDC-layout frame (all string columns)."""
    planted: list[Planted] = []
    changes: dict[str, tuple[list[int], list[str]]] = {}
    for index, kind in _choose(r, frame.height, list(CTDC_BAD)):
        for column, value in CTDC_BAD[kind]:
            changes.setdefault(column, ([], []))[0].append(index)
            changes[column][1].append(str(value))
        planted.append(Planted(index, kind, CTDC_BAD[kind][0][0]))
    columns = []
    for name in frame.columns:
        series = frame[name]
        if name in changes:
            series = series.clone().scatter(*changes[name])
        columns.append(series)
    return pl.DataFrame(columns), planted


def plant_rows(r: random.Random, rows: list[Row], table: dict[str, Changes]) -> list[Planted]:
    """Plant bad values in rows of the HTCDS or the custom layout, in place."""
    planted = []
    for index, kind in _choose(r, len(rows), list(table)):
        rows[index].update(table[kind])
        planted.append(Planted(index, kind, table[kind][0][0]))
    return planted
