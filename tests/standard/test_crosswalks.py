"""The built-in crosswalks: valid, naming real columns and real codes, and telling their layouts apart.

Checked against the reference files in ``/work/shared/data`` (the official CTDC data dictionary and
codebooks, the CTDC derivatives, the HTCDS Excel template); tests needing a file skip when it is absent.
Headers are named as palermo's readers name them (an empty header cell becomes ``column_N``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from palermo.ingest.readers import header_names
from palermo.standard import Field, FieldType, code_for, load_standard
from palermo.standard.countries import country_code
from palermo.standard.crosswalk import Crosswalk, Detect, FieldRule, builtin_crosswalks

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CTDC = DATA / "ctdc"
DICTIONARY = CTDC / "CTDC Global Dataset DATA DICTIONARY version 15082018.xlsx"
SYNTHETIC_CODEBOOK = CTDC / "Codebook_CTDC_global_synthetic_data_v2024.pdf"
FINAL = CTDC / "final.csv"
SAMPLE = CTDC / "human_traffick_sample_dataset.csv"
TEMPLATE = DATA / "htcds" / "HTCDS Excel Spreadsheet v2.0.xlsx"

BUILTIN_NAMES = {"ctdc-global", "ctdc-final", "ctdc-sample", "ctdc-synthetic", "htcds-template"}

GLOBAL_ADDED_AFTER_2018 = {"isSlaveryAndPractices"}
"""Variables of the 2020+ Global Dataset releases (63 columns) missing from the 2018 dictionary (62)."""

GLOBAL_UNMAPPED = {
    "meansOfControlConcatenated",
    "typeOfExploitConcatenated",
    "typeOfLabourConcatenated",
    "typeOfSexConcatenated",
    "RecruiterRelationship",
    "isSexAndLabour",
    "isAbduction",
    "typeOfLabourNotSpecified",
    "recruiterRelationUnknown",
}
"""Dictionary variables ctdc-global deliberately leaves as extra (reasons in the YAML description)."""

SYNTHETIC_VARIABLES = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansFalsePromises",
    "meansDrugsAlcohol",
    "meansDenyBasicNeeds",
    "meansExcessiveWorkHours",
    "meansWithholdDocs",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "typeOfLabourAgriculture",
    "typeOfLabourConstruction",
    "typeOfLabourDomesticWork",
    "typeOfLabourHospitality",
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
)
"""The 27 variables of the CTDC Global Synthetic Dataset v2024, in the codebook's order (section 5)."""

SYNTHETIC_UNMAPPED = {
    "traffickMonths",
    "meansDebtBondageEarnings",
    "meansThreats",
    "meansAbusePsyPhySex",
    "meansDenyBasicNeeds",
}

KNOWN_MODEL_GAPS: dict[tuple[str, str], str] = {}
"""Real values the standard cannot hold yet: expected failures, strict so they are noticed once fixed."""


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"reference file {path} is not available")
    return path


def _crosswalk(name: str) -> Crosswalk:
    return next(c for c in builtin_crosswalks() if c.name == name)


def _source_columns(crosswalk: Crosswalk) -> set[str]:
    return {column for rule in crosswalk.fields.values() for column in rule.source_columns()}


def _reaches(detect: Detect, header: Iterable[str]) -> bool:
    """Whether ``header`` holds ``min_share`` of the detect columns, ignoring case and punctuation."""
    present = {_squash(h) for h in header}
    found = sum(_squash(c) in present for c in detect.columns)
    return found / len(detect.columns) >= detect.min_share


def _detected(header: Iterable[str]) -> list[str]:
    names = list(header)
    return [c.name for c in builtin_crosswalks() if c.detect is not None and _reaches(c.detect, names)]


def _csv_header(path: Path) -> list[str]:
    with _need(path).open(encoding="utf-8-sig", newline="") as handle:
        return header_names(next(csv.reader(handle)), path.name)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with _need(path).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def _dictionary_variables() -> tuple[str, ...]:
    """Variable names of the official CTDC data dictionary (sheet Main, below its header row)."""
    book = openpyxl.load_workbook(_need(DICTIONARY), read_only=True)
    try:
        rows = [row[0] for row in book["Main"].iter_rows(values_only=True) if row]
    finally:
        book.close()
    cells = [str(cell).strip() for cell in rows if cell is not None and str(cell).strip()]
    start = next(i for i, cell in enumerate(cells) if _squash(cell) == "variablename") + 1
    return tuple(cells[start:])


def _template_header() -> list[str]:
    book = openpyxl.load_workbook(_need(TEMPLATE), read_only=True)
    try:
        first = next(book.worksheets[0].iter_rows(min_row=1, max_row=1, values_only=True))
    finally:
        book.close()
    return header_names(first, TEMPLATE.name)


def _synthetic_header() -> list[str]:
    return list(SYNTHETIC_VARIABLES)


def _global_header() -> list[str]:
    return [*_dictionary_variables(), *GLOBAL_ADDED_AFTER_2018]


def _resolves(crosswalk: Crosswalk, rule: FieldRule, field: Field, raw: str) -> bool:
    """Whether a source cell gives a valid value: missing, listed in ``values``, a code, a country..."""
    missing = {m.strip().lower() for m in [*crosswalk.missing, *rule.missing]}
    listed = {_squash(k) for k in rule.values}
    parts = raw.split(rule.separator) if rule.separator else [raw]
    for part in (p.strip() for p in parts):
        if part.lower() in missing or _squash(part) in listed:
            continue
        if field.codes:
            ok = code_for(field, part) is not None
        elif field.type in (FieldType.COUNTRY, FieldType.MULTI_COUNTRY):
            ok = country_code(part) is not None
        elif field.type == FieldType.INTEGER:
            ok = _is_whole_number(part)
        else:
            ok = True
        if not ok:
            return False
    return True


def _is_whole_number(value: str) -> bool:
    try:
        return float(value).is_integer()
    except ValueError:
        return False


# --- every crosswalk -------------------------------------------------------------------------------------


def test_builtin_crosswalks_are_the_shipped_files() -> None:
    folder = resources.files("palermo.standard").joinpath("crosswalks")
    stems = {entry.name.removesuffix(".yaml") for entry in folder.iterdir() if entry.name.endswith(".yaml")}
    names = [c.name for c in builtin_crosswalks()]
    assert sorted(names) == sorted(stems) == sorted(BUILTIN_NAMES)


@pytest.mark.parametrize("name", sorted(BUILTIN_NAMES))
def test_crosswalk_is_documented_and_detectable(name: str) -> None:
    crosswalk = _crosswalk(name)
    assert crosswalk.title and crosswalk.description and crosswalk.attribution
    assert crosswalk.fields
    assert crosswalk.detect is not None and len(crosswalk.detect.columns) >= 5
    assert len({_squash(c) for c in crosswalk.detect.columns}) == len(crosswalk.detect.columns)
    assert 0.5 <= crosswalk.detect.min_share <= 1


@pytest.mark.parametrize("name", sorted(BUILTIN_NAMES))
def test_values_and_flags_name_codes_of_their_field(name: str) -> None:
    std = load_standard()
    problems: list[str] = []
    for field_name, rule in _crosswalk(name).fields.items():
        field = std.field(field_name)
        if field.name != field_name:
            problems.append(f"{field_name}: write the field's own name {field.name}")
        targets: list[str] = []
        for source, target in rule.values.items():
            if isinstance(target, list):
                if not field.is_multi:
                    problems.append(f"{field_name}: {source!r} gives several codes to a single-value field")
                targets.extend(target)
            elif target is not None:
                targets.append(target)
        if rule.flags is not None:
            if field.type != FieldType.MULTI_PICKLIST:
                problems.append(f"{field_name}: flags need a multi-select field")
            for code in rule.flags.values():
                targets.extend([code] if isinstance(code, str) else code)
        problems += [
            f"{field_name}: {t!r} is not one of its codes" for t in targets if t not in field.code_names
        ]
        if rule.separator is not None and not field.is_multi:
            problems.append(f"{field_name}: a separator on a single-value field")
        squashed = [_squash(k) for k in rule.values]
        if len(squashed) != len(set(squashed)):
            problems.append(f"{field_name}: values has keys equal once case and punctuation are ignored")
    assert not problems


@pytest.mark.parametrize("name", sorted(BUILTIN_NAMES))
def test_no_source_column_feeds_two_fields(name: str) -> None:
    seen: dict[str, str] = {}
    for field_name, rule in _crosswalk(name).fields.items():
        for column in rule.source_columns():
            assert column not in seen, f"{column} feeds both {seen[column]} and {field_name}"
            seen[column] = field_name


# --- columns against the real layouts ----------------------------------------------------------------------


def test_ctdc_global_columns_are_official_dictionary_variables() -> None:
    variables = _dictionary_variables()
    assert len(variables) == 62
    crosswalk = _crosswalk("ctdc-global")
    assert crosswalk.detect is not None
    known = {_squash(v) for v in variables}
    named = _source_columns(crosswalk) | set(crosswalk.detect.columns)
    assert {c for c in named if _squash(c) not in known} == GLOBAL_ADDED_AFTER_2018


def test_ctdc_global_maps_every_variable_with_a_standard_home() -> None:
    mapped = {_squash(c) for c in _source_columns(_crosswalk("ctdc-global"))}
    unmapped = {v for v in _dictionary_variables() if _squash(v) not in mapped}
    assert unmapped == GLOBAL_UNMAPPED


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("ctdc-final", lambda: _csv_header(FINAL)),
        ("ctdc-sample", lambda: _csv_header(SAMPLE)),
        ("htcds-template", _template_header),
    ],
    ids=["final", "sample", "template"],
)
def test_columns_exist_in_the_real_file(name: str, header: Callable[[], list[str]]) -> None:
    crosswalk = _crosswalk(name)
    assert crosswalk.detect is not None
    named = _source_columns(crosswalk) | set(crosswalk.detect.columns)
    assert named - set(header()) == set()


def test_template_unnamed_column_is_the_outgoing_referral_reason() -> None:
    book = openpyxl.load_workbook(_need(TEMPLATE), read_only=True)
    try:
        names, labels = list(book.worksheets[0].iter_rows(min_row=1, max_row=2, values_only=True))
    finally:
        book.close()
    column = _crosswalk("htcds-template").fields["cas_ReasonForOutgoingReferral"].column
    assert column is not None
    index = header_names(names, TEMPLATE.name).index(column)
    assert names[index] is None
    assert labels[index] == "Reason for Outgoing Referral"


def test_ctdc_synthetic_columns_are_codebook_variables() -> None:
    crosswalk = _crosswalk("ctdc-synthetic")
    assert crosswalk.detect is not None
    named = _source_columns(crosswalk) | set(crosswalk.detect.columns)
    assert named <= set(SYNTHETIC_VARIABLES)
    assert set(SYNTHETIC_VARIABLES) - _source_columns(crosswalk) == SYNTHETIC_UNMAPPED


def test_synthetic_variable_list_is_the_codebooks() -> None:
    pypdf = pytest.importorskip("pypdf")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(_need(SYNTHETIC_CODEBOOK)).pages)
    section = text.split("LIST OF VARIABLES", 1)[1].split("Notes:", 1)[0]
    listed = re.findall(r"^\s*\d+\s+([A-Za-z]+)\s*$", section, flags=re.MULTILINE)
    assert tuple(listed) == SYNTHETIC_VARIABLES


# --- detection ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "header"),
    [
        ("ctdc-global", _global_header),
        ("ctdc-global", lambda: list(_dictionary_variables())),
        ("ctdc-final", lambda: _csv_header(FINAL)),
        ("ctdc-sample", lambda: _csv_header(SAMPLE)),
        ("ctdc-synthetic", _synthetic_header),
        ("htcds-template", _template_header),
    ],
    ids=["global-2020", "global-2018", "final", "sample", "synthetic", "template"],
)
def test_each_layout_is_detected_by_exactly_its_crosswalk(
    expected: str, header: Callable[[], list[str]]
) -> None:
    assert _detected(header()) == [expected]


@pytest.mark.parametrize(
    "path",
    [
        DATA / "gsi" / "Global_Slavery_Index_2023.csv",
        DATA / "tip_tiers" / "policy_index.csv",
        DATA / "unodc_glotip" / "data_glotip_2025-04-14.csv",
        DATA / "record_linkage" / "febrl" / "dataset1.csv",
    ],
    ids=lambda p: p.name,
)
def test_unrelated_files_are_not_detected(path: Path) -> None:
    assert _detected(_csv_header(path)) == []


# --- values of the real files ------------------------------------------------------------------------------


def _value_cases() -> list[object]:
    cases: list[object] = []
    for name, path in (("ctdc-final", FINAL), ("ctdc-sample", SAMPLE)):
        for field_name in _crosswalk(name).fields:
            gap = KNOWN_MODEL_GAPS.get((name, field_name))
            marks = [pytest.mark.xfail(reason=gap, strict=True)] if gap else []
            cases.append(pytest.param(name, path, field_name, id=f"{name}-{field_name}", marks=marks))
    return cases


@pytest.mark.parametrize(("name", "path", "field_name"), _value_cases())
def test_every_value_in_the_real_file_resolves(name: str, path: Path, field_name: str) -> None:
    crosswalk = _crosswalk(name)
    rule = crosswalk.fields[field_name]
    field = load_standard().field(field_name)
    rows = _csv_rows(path)
    if rule.flags is not None:
        allowed = {v.lower() for v in [*crosswalk.true_values, *crosswalk.false_values, *crosswalk.missing]}
        bad = {(c, row[c]) for row in rows for c in rule.flags if row[c].strip().lower() not in allowed}
    else:
        assert rule.column is not None
        seen = {row[rule.column] for row in rows}
        bad = {(rule.column, v) for v in seen if not _resolves(crosswalk, rule, field, v)}
    assert not bad


def test_template_accepts_every_code_name_and_label() -> None:
    crosswalk = _crosswalk("htcds-template")
    std = load_standard()
    unreadable = [
        (field_name, text)
        for field_name, rule in crosswalk.fields.items()
        for code in std.field(field_name).codes
        for text in (code.name, code.label)
        if not _resolves(crosswalk, rule, std.field(field_name), text)
    ]
    assert not unreadable
