"""Convert one source column of text to a standard field's type and codes, vectorised with polars.

Each converter takes a polars string expression's *values* (a Series) and returns the converted
Series plus a boolean mask of values that could not be converted. Code lists and countries are
matched once per distinct value, never once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import polars as pl

from ..standard import MULTI_SEPARATOR, Field, FieldType, code_for
from ..standard.countries import country_code, language_code
from ..standard.crosswalk import ValueTarget

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y%m%d")
"""Date formats tried in turn when a mapping gives none; day-first, as most of the world writes dates."""

Converted = tuple[pl.Series, pl.Series]


def squash(value: str) -> str:
    """A value reduced to lower-case letters and digits, for forgiving comparisons."""
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def lookup_map(series: pl.Series, resolve: Callable[[str], str | None]) -> dict[str, str | None]:
    """Resolve each distinct non-null value of ``series`` once."""
    return {v: resolve(v) for v in series.drop_nulls().unique().to_list()}


def replace_values(series: pl.Series, values: Mapping[str, ValueTarget]) -> pl.Series:
    """Apply a mapping file's ``values`` (matched ignoring case and punctuation); lists become joined codes."""
    table = {squash(k): v for k, v in values.items()}
    mapping: dict[str, str | None] = {}
    for v in series.drop_nulls().unique().to_list():
        key = squash(v)
        if key in table:
            target = table[key]
            mapping[v] = MULTI_SEPARATOR.join(target) if isinstance(target, list) else target
    if not mapping:
        return series
    return series.replace(mapping)  # values absent from the mapping stay as they are


def _coded(field: Field) -> Callable[[str], str | None]:
    def resolve(value: str) -> str | None:
        code = code_for(field, value)
        return code.name if code is not None else None

    return resolve


def _resolver(field: Field) -> Callable[[str], str | None]:
    if field.type in {FieldType.COUNTRY, FieldType.MULTI_COUNTRY}:
        return country_code
    if field.type == FieldType.LANGUAGE:
        return language_code
    return _coded(field)


def convert_single(series: pl.Series, resolve: Callable[[str], str | None]) -> Converted:
    """Map each value to a code; values with no code are flagged."""
    mapping = lookup_map(series, resolve)
    out = series.replace_strict(mapping, default=None, return_dtype=pl.String)
    return out, series.is_not_null() & out.is_null()


def convert_multi(series: pl.Series, resolve: Callable[[str], str | None], separator: str) -> Converted:
    """Split cells on ``separator``, map each part to a code; sort, de-duplicate and join the codes.

    The work is done once per distinct cell value and mapped back, so a million rows with a few hundred
    distinct combinations cost a few hundred list operations, not a million.
    """
    distinct = series.drop_nulls().unique()
    parts = distinct.str.split(separator).list.eval(pl.element().str.strip_chars()).list.eval(
        pl.element().filter(pl.element() != "")
    )
    mapping = lookup_map(parts.explode().drop_nulls(), resolve)
    bad_values = [v for v, code in mapping.items() if code is None]
    mapped = parts.list.eval(pl.element().replace_strict(mapping, default=None, return_dtype=pl.String))
    joined = mapped.list.drop_nulls().list.unique().list.sort().list.join(MULTI_SEPARATOR)
    flagged = parts.list.eval(pl.element().is_in(bad_values)).list.any() if bad_values else pl.repeat(
        False, len(distinct), eager=True
    )
    out = series.replace_strict(distinct, joined, default=None, return_dtype=pl.String)
    bad = series.replace_strict(distinct, flagged, default=False, return_dtype=pl.Boolean)
    return out.alias(series.name), bad.fill_null(False)


def convert_number(series: pl.Series, *, integer: bool) -> Converted:
    """Parse numbers ("1 200", "3,5" are refused; "2017.0" is the integer 2017)."""
    numbers = series.str.strip_chars().cast(pl.Float64, strict=False)
    bad = series.is_not_null() & numbers.is_null()
    if integer:
        fractional = numbers.is_not_null() & (numbers != numbers.round(0))
        bad = bad | fractional
        return pl.select(pl.when(fractional).then(None).otherwise(numbers)).to_series().cast(pl.Int64), bad
    return numbers, bad


def convert_date(series: pl.Series, date_format: str | None) -> Converted:
    """Parse dates with the mapping's format, else ISO 8601 and common day-first forms."""
    head = series.str.slice(0, 10) if date_format is None else series
    formats = (date_format,) if date_format else DATE_FORMATS
    attempts = [head.str.strptime(pl.Date, fmt, strict=False) for fmt in formats]
    parsed = pl.select(pl.coalesce(attempts)).to_series() if len(attempts) > 1 else attempts[0]
    if date_format is None:  # "2020-01-01T10:00" and "2020-01-01 10:00:00" are dates; "2020-01-01xyz" is not
        tail = series.str.slice(10)
        odd_tail = tail.is_not_null() & (tail != "") & ~tail.str.contains(r"^[T ][0-9:.+\-Z ]*$")
        parsed = pl.select(pl.when(odd_tail).then(None).otherwise(parsed)).to_series()
    return parsed.alias(series.name), series.is_not_null() & parsed.is_null()


EXPECTED_BOOLEAN = "yes or no (1/0, true/false)"


def boolean_codes(true_values: list[str], false_values: list[str]) -> Callable[[str], str | None]:
    """A resolver of yes/no spellings to "1" / "0" (None for anything else)."""
    truthy = {squash(v) for v in true_values}
    falsy = {squash(v) for v in false_values}

    def resolve(value: str) -> str | None:
        key = squash(value)
        return "1" if key in truthy else "0" if key in falsy else None

    return resolve


def convert_boolean(series: pl.Series, true_values: list[str], false_values: list[str]) -> Converted:
    """Map yes/no spellings to booleans."""
    mapping = lookup_map(series, boolean_codes(true_values, false_values))
    coded = series.replace_strict(mapping, default=None, return_dtype=pl.String)
    return (coded == "1").alias(series.name), series.is_not_null() & coded.is_null()


def convert(
    series: pl.Series,
    field: Field,
    *,
    separator: str | None,
    date_format: str | None,
    true_values: list[str],
    false_values: list[str],
) -> Converted:
    """Convert ``series`` to ``field``'s type; returns the values and a mask of unconvertible ones."""
    match field.type:
        case FieldType.PICKLIST | FieldType.COUNTRY | FieldType.LANGUAGE:
            return convert_single(series, _resolver(field))
        case FieldType.MULTI_PICKLIST | FieldType.MULTI_COUNTRY:
            default_sep = MULTI_SEPARATOR if field.type == FieldType.MULTI_PICKLIST else r"[;,/|]"
            sep = separator or default_sep
            if field.type == FieldType.MULTI_COUNTRY and separator is None:
                series = series.str.replace_all(r"[,/|]", MULTI_SEPARATOR)
                sep = MULTI_SEPARATOR
            return convert_multi(series, _resolver(field), sep)
        case FieldType.INTEGER | FieldType.NUMBER:
            return convert_number(series, integer=field.type == FieldType.INTEGER)
        case FieldType.DATE:
            return convert_date(series, date_format)
        case FieldType.BOOLEAN:
            return convert_boolean(series, true_values, false_values)
        case _:
            return series, pl.repeat(False, len(series), eager=True)


def expected(field: Field) -> str:
    """What a field's values should look like, for error messages."""
    match field.type:
        case FieldType.PICKLIST | FieldType.MULTI_PICKLIST:
            codes = ", ".join(field.code_names[:12]) + (", ..." if len(field.codes) > 12 else "")
            many = "one or more of" if field.is_multi else "one of"
            return f"{many} {codes}"
        case FieldType.COUNTRY | FieldType.MULTI_COUNTRY:
            return "a country as ISO 3166 alpha-2 or alpha-3 code or English name"
        case FieldType.LANGUAGE:
            return "a language as ISO 639 code or English name"
        case FieldType.INTEGER:
            return "a whole number"
        case FieldType.NUMBER:
            return "a number"
        case FieldType.DATE:
            return "a date such as 2024-03-31 or 31/03/2024"
        case FieldType.BOOLEAN:
            return EXPECTED_BOOLEAN
        case _:
            return "text"


def today() -> date:
    """Today's date (one place, so rules about the future agree)."""
    return date.today()
