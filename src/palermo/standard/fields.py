"""The standard's field registry: HTCDS 2.0 as published (shipped as JSON) plus palermo's extensions."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from ..errors import NotFoundError
from .extensions import (
    CODE_SYNONYMS,
    EXTENSION_CODES,
    EXTENSION_FIELDS,
    IDENTIFYING_FIELDS,
    INTEGER_FIELDS,
    RANGES,
)
from .model import Code, Field, FieldType

T = TypeVar("T")
CASE_PREFIXES = ("prs_", "vic_", "per_", "cas_", "cco_", "hte_", "spl_", "con_")
"""Prefixes of the fields stored with a case; ``org_`` fields describe the organisation instead."""


class Standard(BaseModel):
    """The whole standard: name, version, attribution and every field."""

    model_config = ConfigDict(frozen=True)

    standard: str
    version: str
    source: str
    licence: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        """The field called ``name``: its HTCDS name, an alias, or its column name (any case)."""
        found = _lookup(self).get(_squash(name))
        if found is None:
            raise NotFoundError(
                f"{name!r} is not a field of the standard; `palermo standard fields` lists them"
            )
        return found

    def has_field(self, name: str) -> bool:
        """Whether ``name`` resolves to a field."""
        return _squash(name) in _lookup(self)

    def case_fields(self) -> tuple[Field, ...]:
        """Fields stored with each case record, analytical and identifying."""
        return tuple(f for f in self.fields if f.prefix in CASE_PREFIXES)

    def analytical_fields(self) -> tuple[Field, ...]:
        """Case fields that hold no personal data: what analysis reads."""
        return tuple(f for f in self.case_fields() if not f.identifying)

    def identifying_fields(self) -> tuple[Field, ...]:
        """Case fields that hold personal data: stored in their own table."""
        return tuple(f for f in self.case_fields() if f.identifying)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_by_identity: dict[int, tuple[object, dict[str, Any]]] = {}
"""Tables built from a (frozen, never changing) Standard or Field, by the object's identity: a
``functools.cache`` on the model itself would hash every field and code on each call (~0.2 ms)."""


def _cached_by_identity(model: object, build: Callable[[], dict[str, T]]) -> dict[str, T]:
    found = _by_identity.get(id(model))
    if found is None or found[0] is not model:
        table: dict[str, T] = build()
        if len(_by_identity) >= 4096:  # fields made on the fly must not pile up
            _by_identity.clear()
        _by_identity[id(model)] = (model, table)  # the model is kept, so its id is not reused
        return table
    return found[1]


def _lookup(std: Standard) -> dict[str, Field]:
    def build() -> dict[str, Field]:
        table: dict[str, Field] = {}
        for f in std.fields:
            for key in (f.name, f.column, *f.aliases):
                table.setdefault(_squash(key), f)
        return table

    return _cached_by_identity(std, build)


def _complete(raw: dict[str, object]) -> Field:
    """Turn one published field into a typed Field, with palermo's classification added."""
    field = Field.model_validate(raw)
    updates: dict[str, object] = {}
    if field.name in INTEGER_FIELDS:
        updates["type"] = FieldType.INTEGER
    if field.name in RANGES:
        updates["minimum"], updates["maximum"] = RANGES[field.name]
    if field.name in IDENTIFYING_FIELDS or field.type == FieldType.LONG_TEXT:
        updates["identifying"] = True
    if field.name in EXTENSION_CODES:
        updates["codes"] = field.codes + EXTENSION_CODES[field.name]
    return field.model_copy(update=updates) if updates else field


@cache
def load_standard() -> Standard:
    """The standard: HTCDS 2.0 fields as published by IOM, then palermo's extension fields."""
    text = resources.files("palermo.standard").joinpath("data/htcds_2_0.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    fields = tuple(_complete(f) for f in doc["fields"]) + EXTENSION_FIELDS
    return Standard(
        standard=doc["standard"],
        version=doc["version"],
        source=doc["source"],
        licence=doc["licence"],
        fields=fields,
    )


def code_for(field: Field, value: str) -> Code | None:
    """The code of ``field`` whose name or label equals ``value`` (case, spaces and punctuation ignored)."""
    return _code_table(field).get(_squash(value))


def _code_table(field: Field) -> dict[str, Code]:
    def build() -> dict[str, Code]:
        table: dict[str, Code] = {}
        for c in field.codes:
            table.setdefault(_squash(c.name), c)
            table.setdefault(_squash(c.label), c)
        by_name = {c.name: c for c in field.codes}
        for word, code in CODE_SYNONYMS.get(field.name, {}).items():
            if code in by_name:
                table.setdefault(word, by_name[code])
        return table

    return _cached_by_identity(field, build)
