"""Draft a mapping file for a file of unknown layout, from its headers and its values.

Each column is scored against every standard case field: by its header (the field's name, label,
aliases and common synonyms) and by its values (the share of distinct values that are codes of the
field, countries, dates or numbers). The draft is YAML with comments, for a person to check: it
lists values that match no code, so they can be mapped by hand, and columns left unmapped.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import yaml

from ..standard import Field, FieldType, code_for, load_standard
from ..standard.countries import country_code
from .columns import ColumnMapping
from .convert import convert_date
from .headers import header_score
from .readers import RawTable, read_table


def _value_score(values: list[str], field: Field) -> float:
    if not values:
        return 0.0
    series = pl.Series(values)
    match field.type:
        case FieldType.PICKLIST | FieldType.MULTI_PICKLIST:
            parts = [p.strip() for v in values for p in re.split(r"[;,/|]", v) if p.strip()]
            return sum(code_for(field, p) is not None for p in parts) / max(1, len(parts))
        case FieldType.COUNTRY | FieldType.MULTI_COUNTRY:
            return sum(country_code(v) is not None for v in values) / len(values)
        case FieldType.DATE:
            _, bad = convert_date(series, None)
            return 1.0 - int(bad.sum()) / len(values)
        case FieldType.INTEGER | FieldType.NUMBER:
            return int(series.cast(pl.Float64, strict=False).is_not_null().sum()) / len(values)
        case _:
            return 0.3


def _rule(column: str, field: Field, values: list[str]) -> dict[str, object]:
    rule: dict[str, object] = {"column": column}
    if field.type in {FieldType.PICKLIST, FieldType.MULTI_PICKLIST}:
        multi = field.type == FieldType.MULTI_PICKLIST
        separators = [s for s in (";", ",", "/", "|") if any(s in v for v in values)]
        if multi and separators:
            rule["separator"] = separators[0]
        parts = sorted(
            {p.strip() for v in values for p in (v.split(separators[0]) if multi and separators else [v])}
        )
        unknown = [p for p in parts if p and code_for(field, p) is None]
        if unknown:
            rule["values"] = {p: None for p in unknown[:40]}
    if field.type == FieldType.DATE:
        _, bad = convert_date(pl.Series(values), None)
        if bad.any():
            rule["date_format"] = "%d/%m/%Y"
    return rule


def _choose(raw: RawTable) -> dict[str, tuple[float, str, Field, list[str]]]:
    """Field name -> (score, column, field, the column's distinct values) of the best column for each field."""
    frame = pl.from_arrow(raw.table)
    assert isinstance(frame, pl.DataFrame)
    fields = [f for f in load_standard().case_fields() if f.type != FieldType.LOOKUP]
    chosen: dict[str, tuple[float, str, Field, list[str]]] = {}
    for column in raw.columns:
        values = [
            v.strip() for v in frame.get_column(column).drop_nulls().unique().head(300).to_list() if v.strip()
        ]
        scored = []
        for field in fields:
            header = header_score(column, field)
            value = _value_score(values, field)
            scored.append((0.65 * header + 0.35 * value if header > 0.5 else 0.5 * value, field))
        score, best = max(scored, key=lambda s: s[0])
        if score >= 0.45 and (best.name not in chosen or chosen[best.name][0] < score):
            chosen[best.name] = (score, column, best, values)
    return chosen


def suggest_columns(raw: RawTable) -> list[ColumnMapping]:
    """Each column of ``raw`` with the field suggested for it (if any) and how sure the suggestion is."""
    found = {column: (name, score) for name, (score, column, _, _) in _choose(raw).items()}
    return [
        ColumnMapping(column=c, field=found[c][0], confidence=round(min(1.0, found[c][1]), 2))
        if c in found else ColumnMapping(column=c)
        for c in raw.columns
    ]


def suggest_mapping(path: Path, *, sheet: str | None = None) -> str:
    """A draft YAML mapping file for ``path``, with comments saying what to check."""
    raw = read_table(path, sheet=sheet)
    chosen = _choose(raw)
    mapping = {name: _rule(column, field, values) for name, (_, column, field, values) in chosen.items()}
    used = {column for _, column, _, _ in chosen.values()}
    unmapped = [c for c in raw.columns if c not in used]
    body = yaml.safe_dump(
        {
            "name": re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "my-layout",
            "title": f"Layout of {path.name}",
            "fields": mapping,
        },
        sort_keys=False,
        allow_unicode=True,
    )
    lines = [
        f"# Draft mapping for {path.name}, proposed by `palermo ingest --suggest-mapping`. Check every line.",
        "# Values set to null below match no code of their field: replace null with the right code",
        "# (`palermo standard fields` lists them), or leave null to treat the value as unknown.",
        "# Add `defaults:` for fields the file lacks (e.g. vic_CountryOfExploitation: TH).",
        body.rstrip(),
    ]
    if unmapped:
        lines.append("# Columns mapped to no field (kept with each record as extra): " + ", ".join(unmapped))
    return "\n".join(lines) + "\n"
