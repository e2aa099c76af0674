"""Crosswalks: how a partner's layout maps onto the standard.

A crosswalk (a "mapping file") is YAML. palermo ships one per known layout (CTDC global dataset and
its derivatives, the CTDC synthetic release, the HTCDS Excel template) in ``standard/crosswalks``;
users write their own for anything else (``palermo ingest --suggest-mapping FILE`` drafts one)::

    name: shelter-2024                 # short identifier
    title: Our shelter's case sheet
    missing: ["-99", "unknown", "n/a"]  # values that mean "not known", in every column
    defaults:                           # a constant for a field, where the file has no value
      vic_CountryOfExploitation: TH
    fields:
      cas_RegistrationYear: Year        # short form: the source column
      prs_Gender:
        column: Sex
        values: {F: Feminine, M: Masculine, "?": null}   # source value -> code (null = missing)
      vic_TypeOfExploitation:
        column: Exploitation
        separator: ","                  # several values in one cell
        values: {both: [ForcedLabour, SexualExploitation]}
      vic_MethodsOfControl:
        flags:                          # one yes/no column per code
          debt: DebtBondage
          threats: PhysicalThreats
      prs_Birthdate: {column: DOB, date_format: "%d/%m/%Y"}

Values equal to a code's name or label (ignoring case, spaces and punctuation) need no entry in
``values``; countries may be names, alpha-2 or alpha-3 codes. Columns no field names are kept with
each record (``extra``), never dropped.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigurationError
from .fields import load_standard

DEFAULT_MISSING: tuple[str, ...] = ("", "-99", "n/a", "null", "none", "unknown", "not known", "nan", "-")
DEFAULT_TRUE: tuple[str, ...] = ("1", "1.0", "true", "yes", "y", "x", "t")
DEFAULT_FALSE: tuple[str, ...] = ("0", "0.0", "false", "no", "n", "f")

ValueTarget = str | list[str] | None


class FieldRule(BaseModel):
    """How one standard field is filled from the source."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    """The source column holding the value."""
    flags: dict[str, str | list[str]] | None = None
    """For a multi-select field: source yes/no column -> code(s); the field holds the codes whose flag is yes."""
    values: dict[str, ValueTarget] = Field(default_factory=dict)
    """Source value -> code (or list of codes, or null for missing); matched ignoring case and spaces."""
    separator: str | None = None
    """Splits one cell into several values (multi-select fields)."""
    date_format: str | None = None
    """strftime format of dates in this column, if not ISO 8601 or another common format."""
    missing: list[str] = Field(default_factory=list)
    """Extra values meaning "not known" in this column."""

    @model_validator(mode="after")
    def _one_source(self) -> FieldRule:
        if (self.column is None) == (self.flags is None):
            raise ValueError("give either 'column' or 'flags'")
        return self

    def source_columns(self) -> list[str]:
        """The source columns this rule reads."""
        return [self.column] if self.column is not None else list(self.flags or {})


class Detect(BaseModel):
    """How a layout is recognised from a file's header."""

    model_config = ConfigDict(extra="forbid")

    columns: list[str]
    """Columns typical of the layout."""
    min_share: float = 0.8
    """Share of ``columns`` that must be present (ignoring case and punctuation)."""


class Crosswalk(BaseModel):
    """A whole mapping from one source layout to the standard."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    title: str = ""
    description: str = ""
    attribution: str = ""
    detect: Detect | None = None
    missing: list[str] = Field(default_factory=lambda: list(DEFAULT_MISSING))
    true_values: list[str] = Field(default_factory=lambda: list(DEFAULT_TRUE))
    false_values: list[str] = Field(default_factory=lambda: list(DEFAULT_FALSE))
    defaults: dict[str, str] = Field(default_factory=dict)
    fields: dict[str, FieldRule]

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("fields"), dict):
            data = dict(data)
            data["fields"] = {
                k: ({"column": v} if isinstance(v, str) else v) for k, v in data["fields"].items()
            }
        return data

    @model_validator(mode="after")
    def _known_fields(self) -> Crosswalk:
        std = load_standard()
        for name in [*self.fields, *self.defaults]:
            if not std.has_field(name):
                raise ValueError(f"{name!r} is not a field of the standard (see `palermo standard fields`)")
        return self


def parse_crosswalk(data: Any, source: str) -> Crosswalk:
    """Validate a crosswalk given as parsed YAML; ``source`` names it in error messages."""
    try:
        return Crosswalk.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigurationError(f"mapping file {source}: {problems}") from None


def load_crosswalk(path: Path) -> Crosswalk:
    """Read a user's YAML mapping file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigurationError(f"mapping file {path}: cannot be read ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"mapping file {path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"mapping file {path}: expected a YAML mapping with 'name' and 'fields'")
    return parse_crosswalk(data, str(path))


@cache
def builtin_crosswalks() -> tuple[Crosswalk, ...]:
    """The crosswalks palermo ships, for the layouts partners commonly hold."""
    folder = resources.files("palermo.standard").joinpath("crosswalks")
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found.append(parse_crosswalk(yaml.safe_load(entry.read_text(encoding="utf-8")), entry.name))
    return tuple(found)
