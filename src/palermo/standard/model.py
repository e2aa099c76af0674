"""Typed models of the standard: a field, its type and its codes."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FieldType(StrEnum):
    """How a field's values are written and checked."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    PICKLIST = "picklist"
    MULTI_PICKLIST = "multi_picklist"
    DATE = "date"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    COUNTRY = "country"
    MULTI_COUNTRY = "multi_country"
    LANGUAGE = "language"
    LOOKUP = "lookup"


MULTI_SEPARATOR = ";"
"""Multi-select values are stored as their codes, sorted, joined by this separator."""

CODED_TYPES = frozenset({FieldType.PICKLIST, FieldType.MULTI_PICKLIST})
MULTI_TYPES = frozenset({FieldType.MULTI_PICKLIST, FieldType.MULTI_COUNTRY})


class Code(BaseModel):
    """One value of a code list."""

    model_config = ConfigDict(frozen=True)

    name: str
    label: str
    definition: str = ""
    extension: bool = False
    """True for a value palermo adds to an HTCDS list (to carry CTDC detail); False for HTCDS's own."""


class Field(BaseModel):
    """One field of the standard (HTCDS 2.0 or a palermo extension)."""

    model_config = ConfigDict(frozen=True)

    name: str
    """The HTCDS name with its table prefix, e.g. ``vic_TypeOfExploitation``."""
    prefix: str
    section: str
    status: str
    core: bool
    label: str
    htcds_type: str
    type: FieldType
    codes: tuple[Code, ...] = ()
    description: str = ""
    notes: str = ""
    aliases: tuple[str, ...] = ()
    extension: bool = False
    """True for a field palermo adds (marked ``x-palermo-extension`` in the JSON Schema)."""
    identifying: bool = False
    """True for personal data (names, birth dates, contacts, documents, free text): stored apart."""
    minimum: float | None = None
    maximum: float | None = None

    @property
    def column(self) -> str:
        """The database column name: the field name in snake case (``vic_type_of_exploitation``)."""
        return to_snake(self.name)

    @property
    def code_names(self) -> tuple[str, ...]:
        """The codes' system names, in their published order."""
        return tuple(c.name for c in self.codes)

    @property
    def is_multi(self) -> bool:
        """Whether the field holds several values."""
        return self.type in MULTI_TYPES


def to_snake(name: str) -> str:
    """``vic_TypeOfExploitation`` -> ``vic_type_of_exploitation``."""
    prefix, _, rest = name.partition("_")
    if not rest:
        rest, prefix = prefix, ""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", rest).lower()
    return f"{prefix}_{snake}" if prefix else snake
