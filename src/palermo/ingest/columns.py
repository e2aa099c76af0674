"""A file's mapping seen column by column: which standard field each source column fills.

This is the form in which a person reviews and edits a mapping (in the web page or through the API's
``mapping`` objects: ``{source column: field or null}``). :func:`column_mappings` reads it off a
crosswalk; :func:`edited_crosswalk` turns an edited one back into a crosswalk, keeping the rules
(value maps, date formats, yes/no flags) of every column whose field did not change.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..errors import InputError
from ..standard import FieldType, load_standard
from ..standard.crosswalk import Crosswalk, FieldRule
from .convert import squash

EDITED_SUFFIX = "-edited"


class ColumnMapping(BaseModel):
    """One source column and the standard field it fills (``None``: no field, kept as extra)."""

    column: str
    field: str | None = None
    confidence: float | None = None
    """How sure a suggestion is (0..1); ``None`` for a layout palermo recognised or a person chose."""


def mappable_fields() -> list[str]:
    """The standard case fields a column may be mapped to, in the standard's order."""
    return [f.name for f in load_standard().case_fields() if f.type != FieldType.LOOKUP]


def _actual(column: str, columns: list[str]) -> str | None:
    if column in columns:
        return column
    present = {squash(c): c for c in columns}
    return present.get(squash(column))


def column_mappings(crosswalk: Crosswalk, columns: list[str]) -> list[ColumnMapping]:
    """Each of the file's ``columns`` with the field ``crosswalk`` fills from it, in the file's order."""
    field_of: dict[str, str] = {}
    for name, rule in crosswalk.fields.items():
        for source in rule.source_columns():
            actual = _actual(source, columns)
            if actual is not None:
                field_of.setdefault(actual, name)
    return [ColumnMapping(column=c, field=field_of.get(c)) for c in columns]


def _flag_fields(base: Crosswalk | None) -> dict[str, str]:
    """Source column (squashed) -> the multi-select field that ``base`` fills from it as a yes/no flag."""
    if base is None:
        return {}
    return {squash(c): n for n, r in base.fields.items() if r.flags is not None for c in r.flags}


def check_choices(
    choices: dict[str, str | None], columns: list[str] | None = None, base: Crosswalk | None = None
) -> dict[str, str]:
    """The chosen ``{column: field}`` pairs; a clear error for an unknown field or column, or a field chosen twice.

    Several columns may keep the one field that ``base`` fills from them as yes/no flags.
    """
    std = load_standard()
    allowed = set(mappable_fields())
    flags = _flag_fields(base)
    chosen: dict[str, str] = {}
    by_field: dict[str, str] = {}
    for column, field in choices.items():
        if columns is not None and column not in columns:
            raise InputError(f"the file has no column {column!r}")
        if not field:
            continue
        if not std.has_field(field) or field not in allowed:
            raise InputError(f"{field!r} (chosen for column {column!r}) is not an HTCDS case field")
        if field in by_field and not (flags.get(squash(column)) == field == flags.get(squash(by_field[field]))):
            raise InputError(
                f"{field} is chosen for both column {by_field[field]!r} and column {column!r}; "
                "a field can be filled from one column only"
            )
        by_field[field] = column
        chosen[column] = field
    if not chosen:
        raise InputError("the mapping maps no column to a field: choose a field for at least one column")
    return chosen


def edited_crosswalk(
    choices: dict[str, str | None], base: Crosswalk | None = None, columns: list[str] | None = None
) -> Crosswalk:
    """A crosswalk from edited ``{column: field}`` choices; rules of ``base`` whose column kept its field are kept.

    ``columns`` (the file's columns, when known) lets a choice for a column the file lacks be refused.
    """
    chosen = check_choices(choices, columns, base)
    fields: dict[str, FieldRule] = {}
    for column, name in chosen.items():
        rule = base.fields.get(name) if base is not None else None
        if rule is not None and rule.flags is not None:
            kept = {k: v for k, v in rule.flags.items() if chosen.get(_actual(k, list(chosen)) or k) == name}
            if column not in {_actual(k, list(chosen)) for k in kept}:
                kept = {}
            if kept:
                fields[name] = rule.model_copy(update={"flags": kept})
                continue
        if rule is not None and rule.column is not None and _actual(rule.column, [column]) == column:
            fields[name] = rule
        elif name not in fields:
            fields[name] = FieldRule(column=column)
    name = (base.name[: 100 - len(EDITED_SUFFIX)] if base is not None else "mapping") + EDITED_SUFFIX
    if base is not None and base.name.endswith(EDITED_SUFFIX):
        name = base.name
    title = f"{base.title or base.name}, edited" if base is not None else "Mapping chosen in the page"
    if base is None:
        return Crosswalk(name=name, title=title, fields=fields)
    defaults = {k: v for k, v in base.defaults.items() if k not in fields}
    return base.model_copy(update={"name": name, "title": title, "detect": None, "fields": fields,
                                   "defaults": defaults})
