"""Every field and code IOM publishes for HTCDS 2.0 is in palermo's registry (read independently here)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pycountry
import pytest

from palermo.standard import Field, FieldType, code_for, load_standard
from palermo.standard.countries import country_code

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
HTCDS = DATA / "htcds"
SHEET = HTCDS / "HTCDS Field Standards 2.0.ods"
XLSFORM = HTCDS / "htcds_xlsform.xlsx"
TEMPLATE = HTCDS / "HTCDS Excel Spreadsheet v2.0.xlsx"

pytestmark = pytest.mark.skipif(not HTCDS.is_dir(), reason=f"HTCDS reference files not found in {HTCDS}")

SHEET_TYPES: dict[str, set[FieldType]] = {
    "text": {FieldType.TEXT, FieldType.COUNTRY},
    "long text": {FieldType.LONG_TEXT},
    "picklist": {FieldType.PICKLIST, FieldType.MULTI_PICKLIST, FieldType.LANGUAGE},
    "picklist or text": {FieldType.TEXT, FieldType.COUNTRY},
    "multiselect picklist": {FieldType.MULTI_PICKLIST, FieldType.MULTI_COUNTRY},
    "date": {FieldType.DATE},
    "number": {FieldType.NUMBER, FieldType.INTEGER},
    "checkbox": {FieldType.BOOLEAN},
    "geolocation": {FieldType.NUMBER},
}
"""Sheet field type -> the palermo types it may become."""


def _text(value: object) -> str:
    """A cell as text: empty for a missing cell, whitespace (incl. no-break spaces) collapsed."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return " ".join(str(value).split())


def _lines(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [" ".join(line.split()) for line in str(value).splitlines() if line.strip()]


def _sheet_rows() -> list[dict[str, object]]:
    pytest.importorskip("odf")
    sheet = pd.read_excel(SHEET, engine="odf")
    rows = [
        {str(k): v for k, v in row.items()}
        for _, row in sheet.iterrows()
        if _text(row["Field Name including Prefix"])
    ]
    assert len(rows) > 70, "the sheet should list every HTCDS 2.0 field"
    return rows


def _choices() -> dict[str, list[tuple[str, str]]]:
    # keep_default_na=False: Namibia's code "NA" must not become a missing value.
    frame = pd.read_excel(XLSFORM, sheet_name="choices", dtype=str, keep_default_na=False)
    lists: dict[str, list[tuple[str, str]]] = {}
    for _, row in frame.iterrows():
        if row["list_name"].strip():
            lists.setdefault(row["list_name"].strip(), []).append((row["name"].strip(), row["label"].strip()))
    return lists


def test_every_sheet_field_is_in_the_registry() -> None:
    std = load_standard()
    for row in _sheet_rows():
        name = _text(row["Field Name including Prefix"])
        field = std.field(name)
        assert field.name == name, f"{name} resolves to {field.name}"
        assert not field.extension
        assert field.label == _text(row["Field Label"])
        assert field.prefix == _text(row["Field Name Prefix"])
        assert field.core == (_text(row["Core"]).lower() == "core")
        sheet_type = _text(row["Field Type"]).lower()
        allowed = {FieldType.LOOKUP} if sheet_type.startswith("lookup") else SHEET_TYPES[sheet_type]
        assert field.type in allowed, f"{name}: {sheet_type} -> {field.type}"


def test_registry_adds_only_marked_extension_fields() -> None:
    published = {_text(r["Field Name including Prefix"]) for r in _sheet_rows()}
    for field in load_standard().fields:
        assert (field.name in published) != field.extension, field.name


def _check_codes(field: Field, names: list[str], labels: list[str]) -> None:
    assert list(field.code_names[: len(names)]) == names, f"{field.name}: codes differ from the sheet"
    assert all(not c.extension for c in field.codes[: len(names)]), field.name
    assert all(c.extension for c in field.codes[len(names) :]), f"{field.name}: unmarked added codes"
    if len(labels) == len(names):
        assert [c.label for c in field.codes[: len(names)]] == labels, field.name


def test_every_sheet_code_is_in_the_registry() -> None:
    std = load_standard()
    checked = 0
    for row in _sheet_rows():
        field = std.field(_text(row["Field Name including Prefix"]))
        names = _lines(row["Value Names (if picklist)"])
        labels = _lines(row["Value Labels (if picklist)"])
        if not names:
            continue
        if "ISO 3166" in names[0]:
            assert field.type in (FieldType.COUNTRY, FieldType.MULTI_COUNTRY), field.name
        elif "ISO 639" in names[0]:
            assert field.type == FieldType.LANGUAGE, field.name
        else:
            _check_codes(field, names, labels)
            checked += len(names)
    assert checked > 150


def test_country_fields_named_in_the_sheet_notes_are_typed_as_countries() -> None:
    std = load_standard()
    assert std.field("prs_Citizenship").type == FieldType.MULTI_COUNTRY
    for name in ("org_ShippingCountry", "prs_MailingCountry", "hte_Country"):
        assert std.field(name).type == FieldType.COUNTRY


def test_every_xlsform_field_resolves() -> None:
    std = load_standard()
    survey = pd.read_excel(XLSFORM, sheet_name="survey", dtype=str, keep_default_na=False)
    names = [n.strip() for n in survey["name"] if n.strip() not in {"start", "end", "__version__", ""}]
    assert len(names) >= 30
    for name in names:
        assert std.has_field(name), name
        assert not std.field(name).extension


def test_every_xlsform_choice_is_a_code_of_its_field() -> None:
    std = load_standard()
    survey = pd.read_excel(XLSFORM, sheet_name="survey", dtype=str, keep_default_na=False)
    choices = _choices()
    used: set[str] = set()
    for _, row in survey.iterrows():
        kind, _, list_name = row["type"].strip().partition(" ")
        if kind not in {"select_one", "select_multiple"}:
            continue
        used.add(list_name)
        field = std.field(row["name"].strip())
        if kind == "select_multiple":
            assert field.is_multi, field.name
        for name, label in choices[list_name]:
            if list_name == "citizenship":
                assert country_code(name) == name, name
                assert country_code(label) == name, label
            elif field.type == FieldType.BOOLEAN:
                assert name.upper() in {"TRUE", "FALSE"}
                assert name.upper() in field.code_names, f"{field.name}: {name}"
            else:
                assert name in field.code_names, f"{field.name}: {name}"
                found = code_for(field, label)
                assert found is not None and found.name == name, f"{field.name}: label {label!r}"
    assert used == set(choices), f"choice lists no question uses: {set(choices) - used}"


def test_citizenship_list_is_iso_3166() -> None:
    codes = [name for name, _ in _choices()["citizenship"]]
    assert len(codes) == 249 == len(set(codes))
    assert set(codes) == {c.alpha_2 for c in pycountry.countries}
    assert "NA" in codes  # Namibia


def test_consent_maps_to_the_boolean_field() -> None:
    field = load_standard().field("con_Consent")
    assert field.type == FieldType.BOOLEAN
    assert {name for name, _ in _choices()["consent"]} == {"TRUE", "FALSE"}


def test_excel_template_columns_resolve() -> None:
    std = load_standard()
    header = pd.read_excel(TEMPLATE, nrows=0).columns
    named = [str(c) for c in header if not re.fullmatch(r"Unnamed: \d+", str(c))]
    assert len(named) > 30
    for name in named:
        assert std.has_field(name), name
