"""The CTDC global dataset layout: simulated cases written with the official column names and coding.

Columns and coding follow the CTDC data dictionary (version 15082018, sheet Main): -99 means
missing, flags are 0/1, ``ageBroad`` uses bands such as ``18--20``, countries are ISO alpha-2, and
each ``...Concatenated`` column lists the labels of the flags set, sorted, joined by ``;``. As in the
CTDC codebook v6.0 (and the published data), ``MajorityEntry`` holds Minor/Adult, not an age band,
and hotline rows write "Unknown" (countries "ZZ") where case-management rows write -99.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from ..standard.extensions import AGE_BANDS
from .cases import (
    CONTROLS,
    COUNTRIES,
    FIRST_YEAR,
    INDUSTRIES,
    KINDS,
    LAST_YEAR,
    SEX_TYPES,
    BoolArray,
    Cases,
    IntArray,
    simulate_cases,
)

MISSING = "-99"
UNKNOWN = "Unknown"

_CONTROL_LABELS = ("Debt bondage", "Takes earnings", "Restricts financial access", "Threats",
                   "Psychological abuse", "Physical abuse", "Sexual abuse", "False promises",
                   "Psychoactive substances", "Restricts movement", "Restricts medical care",
                   "Excessive working hours", "Uses children", "Threat of law enforcement",
                   "Withholds necessities", "Withholds documents", "Other", "Not specified")
_INDUSTRY_LABELS = ("Agriculture", "Aquafarming", "Begging", "Construction", "Domestic work", "Hospitality",
                    "Illicit activities", "Manufacturing", "Mining or drilling", "Peddling", "Transportation",
                    "Other", "Not specified")
_SEX_LABELS = ("Prostitution", "Pornography", "Remote interactive services", "Private sexual services")
# CTDC exploitation flags in dictionary order, with the kinds (cases.KINDS) that set each
_EXPLOIT_FLAGS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("isForcedLabour", ("labour", "sex_and_labour"), "Forced labour"),
    ("isSexualExploit", ("sex", "sex_and_labour"), "Sexual exploitation"),
    ("isOtherExploit", ("other",), "Other"),
    ("isSexAndLabour", ("sex_and_labour",), ""),
    ("isForcedMarriage", ("marriage",), "Forced marriage"),
    ("isForcedMilitary", ("military",), "Forced military"),
    ("isOrganRemoval", ("organ",), "Organ removal"),
)
_RECRUITER_COLUMNS = ("recruiterRelationIntimatePartner", "recruiterRelationFriend",
                      "recruiterRelationFamily", "recruiterRelationOther")
_RECRUITER_LABELS = ("Intimate Partner", "Friend", "Family", "Other")

CTDC_COLUMNS: tuple[str, ...] = (
    "yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus", "majorityStatusAtExploit",
    "MajorityEntry", "citizenship",
    *(f"meansOfControl{c}" for c in CONTROLS), "meansOfControlConcatenated",
    *(f[0] for f in _EXPLOIT_FLAGS), "typeOfExploitConcatenated",
    *(f"typeOfLabour{i}" for i in INDUSTRIES), "typeOfLabourConcatenated",
    *(f"typeOfSex{s}" for s in SEX_TYPES), "typeOfSexConcatenated",
    "isAbduction", "RecruiterRelationship", "CountryOfExploitation", *_RECRUITER_COLUMNS,
    "recruiterRelationUnknown",
)
"""The 62 variables of the CTDC data dictionary (sheet Main), in its order."""


Column = tuple[str, Sequence[str], IntArray]
"""A column to be: its name, its labels, and each row's index into the labels."""
_FLAG = ("0", "1", MISSING)


def _flag(mask: IntArray, bit: int, known: BoolArray, name: str) -> Column:
    """A 0/1 flag column from one bit of ``mask``, -99 where not ``known``."""
    return name, _FLAG, np.where(known, ((mask >> bit) & 1).astype(np.uint8), np.uint8(2))


def _joined(mask: IntArray, labels: Sequence[str], known: BoolArray, name: str) -> Column:
    """The labels of the bits set in ``mask``, sorted and joined by ``;`` (-99 where not known or none)."""
    codes, inverse = np.unique(mask, return_inverse=True)
    texts = [";".join(sorted(lab for i, lab in enumerate(labels) if lab and int(m) >> i & 1)) or MISSING
             for m in codes]
    return name, [*texts, MISSING], np.where(known, inverse.reshape(-1), len(texts)).astype(np.uint32)


def _coded(labels: Sequence[str], index: IntArray, name: str) -> Column:
    return name, labels, index.astype(np.uint32)


def _columns(cases: Cases) -> list[Column]:
    c, k = cases, cases.known
    n = len(c)
    exploit_mask = np.zeros(n, dtype=np.int64)
    for bit, (_, kinds, _) in enumerate(_EXPLOIT_FLAGS):
        exploit_mask |= np.where(np.isin(c.kind, [KINDS.index(x) for x in kinds]), 1 << bit, 0)
    # missing is -99 in case-management rows, "Unknown" (countries "ZZ") in hotline rows
    gap = np.where(c.hotline, 1, 0)
    bands = [*AGE_BANDS, MISSING, UNKNOWN]
    status = ("Adult", "Minor", MISSING, UNKNOWN)
    countries = [*COUNTRIES, MISSING, "ZZ"]
    nc = len(COUNTRIES)
    cols: list[Column] = [
        _coded([str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)], c.year - FIRST_YEAR, "yearOfRegistration"),
        _coded(("Case Management", "Hotline"), c.hotline.astype(np.int64), "Datasource"),
        _coded(("Female", "Male", "Transgender/NonConforming", MISSING, UNKNOWN),
               np.where(k["gender"], c.gender, 3 + gap), "gender"),
        _coded(bands, np.where(k["age"], c.band, 9 + gap), "ageBroad"),
        _coded(status, np.where(k["status"], c.minor, 2 + gap), "majorityStatus"),
        _coded(status, np.where(k["status_exploit"], c.entry_band <= 1, 2 + gap), "majorityStatusAtExploit"),
        _coded(status, np.where(k["entry"], c.entry_band <= 1, 2 + gap), "MajorityEntry"),
        _coded(countries, np.where(k["citizenship"], c.citizenship, nc + gap), "citizenship"),
    ]
    cols += [_flag(c.controls, i, k["controls"], f"meansOfControl{name}") for i, name in enumerate(CONTROLS)]
    cols.append(_joined(c.controls, _CONTROL_LABELS, k["controls"], "meansOfControlConcatenated"))
    cols += [_flag(exploit_mask, i, k["kind"], f[0]) for i, f in enumerate(_EXPLOIT_FLAGS)]
    cols.append(_joined(exploit_mask, [f[2] for f in _EXPLOIT_FLAGS], k["kind"], "typeOfExploitConcatenated"))
    labour_known = k["kind"] & (c.labour != 0)
    cols += [_flag(c.labour, i, labour_known, f"typeOfLabour{name}") for i, name in enumerate(INDUSTRIES)]
    cols.append(_joined(c.labour, _INDUSTRY_LABELS, labour_known, "typeOfLabourConcatenated"))
    sex_known = k["kind"] & (c.sex_types != 0)
    late = c.year >= 2017  # the last two kinds were collected from 2017
    cols += [_flag(c.sex_types, i, sex_known & late if i >= 2 else sex_known, f"typeOfSex{name}")
             for i, name in enumerate(SEX_TYPES)]
    cols.append(_joined(c.sex_types, _SEX_LABELS, sex_known, "typeOfSexConcatenated"))
    cols.append(_coded(_FLAG, np.where(c.abduction < 0, 2, c.abduction), "isAbduction"))
    relations = _joined(c.recruiter, _RECRUITER_LABELS, k["recruiter"], "RecruiterRelationship")
    no_relation = len(relations[1]) - 1
    cols.append((relations[0], [*relations[1], UNKNOWN],
                 np.where(c.hotline & ~k["recruiter"], no_relation + 1, relations[2]).astype(np.uint32)))
    cols.append(_coded(countries, np.where(k["exploited_in"], c.exploited_in, nc + gap), "CountryOfExploitation"))
    relation = np.where(k["recruiter"], c.recruiter, 0)  # hotline cases with no known relation: all 0
    cols += [_flag(relation, i, c.hotline, name) for i, name in enumerate(_RECRUITER_COLUMNS)]
    cols.append(_coded(_FLAG, np.where(c.hotline, ~k["recruiter"], 2), "recruiterRelationUnknown"))
    return cols


def _categorical(cases: Cases) -> pl.DataFrame:
    """The CTDC columns as categoricals built straight from their codes (no string per cell yet)."""
    table = pa.table({
        name: pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(list(labels), pa.string()))
        for name, labels, index in _columns(cases)
    })
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def ctdc_from_cases(cases: Cases) -> pl.DataFrame:
    """Write simulated cases in the CTDC global dataset layout (every column a string)."""
    return pl.DataFrame([pl.Series(name, list(labels), dtype=pl.String).gather(index)
                         for name, labels, index in _columns(cases)])


def ctdc_frame(n: int, seed: int) -> pl.DataFrame:
    """``n`` simulated cases in the CTDC global dataset layout, every column a string; deterministic."""
    return ctdc_from_cases(simulate_cases(n, np.random.default_rng(seed)))


def write_ctdc_csv(path: Path, n: int, seed: int = 1) -> None:
    """Write ``n`` simulated cases as a CTDC-layout CSV (1,000,000 rows take a few seconds).

    The file has the same content as ``ctdc_frame(n, seed)`` written as CSV.
    """
    _categorical(simulate_cases(n, np.random.default_rng(seed))).write_csv(path)
