"""The JSON Schema (draft 2020-12) of one HTCDS case record, generated from the field registry.

Every case field is a property named by its HTCDS name; picklists are enums of code names,
multi-selects are arrays of them, countries are ISO 3166-1 alpha-2 codes. palermo's additions carry
``x-palermo-extension`` (fields) or ``x-palermo-extension-codes`` (values added to an HTCDS list);
fields holding personal data carry ``x-identifying``. A field with no value is left out of the record.
"""

from __future__ import annotations

from typing import Any

from .. import __version__
from .countries import country_codes
from .fields import load_standard
from .model import Code, Field, FieldType

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:palermo:schema:htcds-2.0:case-record"
COUNTRY_PATTERN = "^[A-Z]{2}$"

_ATTRIBUTION = (
    "Fields and code lists: Human Trafficking Case Data Standard (HTCDS) 2.0 by the International "
    "Organization for Migration (IOM), licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/), from https://github.com/UNMigration/HTCDS. "
    "Extensions marked x-palermo-extension are palermo's, not IOM's; IOM does not endorse palermo."
)


def _number(value: float, integer: bool) -> float | int:
    return int(value) if integer and float(value).is_integer() else value


def _country() -> dict[str, Any]:
    return {"type": "string", "pattern": COUNTRY_PATTERN, "enum": list(country_codes())}


def _value_schema(field: Field) -> dict[str, Any]:
    """The type part of a property: what one value of ``field`` looks like."""
    kind = field.type
    if kind == FieldType.DATE:
        return {"type": "string", "format": "date"}
    if kind in (FieldType.NUMBER, FieldType.INTEGER):
        integer = kind == FieldType.INTEGER
        out: dict[str, Any] = {"type": "integer" if integer else "number"}
        if field.minimum is not None:
            out["minimum"] = _number(field.minimum, integer)
        if field.maximum is not None:
            out["maximum"] = _number(field.maximum, integer)
        return out
    if kind == FieldType.BOOLEAN:
        return {"type": "boolean"}
    if kind == FieldType.PICKLIST:
        return {"type": "string", "enum": list(field.code_names)}
    if kind == FieldType.MULTI_PICKLIST:
        return {
            "type": "array",
            "items": {"type": "string", "enum": list(field.code_names)},
            "uniqueItems": True,
        }
    if kind == FieldType.COUNTRY:
        return _country()
    if kind == FieldType.MULTI_COUNTRY:
        return {"type": "array", "items": _country(), "uniqueItems": True}
    return {"type": "string"}  # text, long text, lookup, language (ISO 639 code)


def field_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema property of one field, with its HTCDS name, label and palermo annotations."""
    prop: dict[str, Any] = {
        "title": field.label,
        "description": field.description or field.label,
        **_value_schema(field),
        "x-htcds-name": field.name,
        "x-htcds-section": field.section,
    }
    if field.codes and field.type in (FieldType.PICKLIST, FieldType.MULTI_PICKLIST):
        prop["x-htcds-code-labels"] = {c.name: c.label for c in field.codes}
    if field.extension:
        prop["x-palermo-extension"] = True
    added = [c.name for c in field.codes if c.extension]
    if added and not field.extension:
        prop["x-palermo-extension-codes"] = added
    if field.identifying:
        prop["x-identifying"] = True
    return prop


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one HTCDS case record: every case field as a property."""
    std = load_standard()
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": f"HTCDS {std.version} case record",
        "description": (
            f"One case record in {std.standard} {std.version}, as pooled by palermo. "
            "Multi-select values are arrays of code names; countries are ISO 3166-1 alpha-2 codes "
            "(XK: Kosovo); languages are ISO 639 codes. " + _ATTRIBUTION
        ),
        "version": std.version,
        "type": "object",
        "properties": {f.name: field_schema(f) for f in std.case_fields()},
        "x-htcds-standard": std.standard,
        "x-htcds-version": std.version,
        "x-htcds-source": std.source,
        "x-htcds-licence": std.licence,
        "x-attribution": _ATTRIBUTION,
        "x-palermo-version": __version__,
    }


def organisation_types() -> tuple[Code, ...]:
    """The HTCDS organisation types: the codes of ``org_Type`` (NGO, LawEnforcement, ...)."""
    return load_standard().field("org_Type").codes
