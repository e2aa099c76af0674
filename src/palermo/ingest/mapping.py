"""Apply a crosswalk to a file read as text: standard columns out, problems listed, nothing dropped.

The result has one column per standard case field (typed), ``_row`` (the source row), ``extra``
(the source columns no field uses, as a JSON object per row) and a long table of problems
(row, source column, value, reason). All work is vectorised with polars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl
import pyarrow.compute as pc

from ..errors import InputError
from ..standard import MULTI_SEPARATOR, Field, load_standard
from ..standard.crosswalk import Crosswalk, FieldRule, ValueTarget
from .convert import EXPECTED_BOOLEAN, boolean_codes, convert, expected, lookup_map, replace_values, squash
from .headers import looks_identifying
from .readers import RawTable

PERSONAL_EXTRA = "personal_extra"
"""Unmapped columns whose header suggests personal data: stored with the identifying fields, not in extra."""
PROBLEM_SCHEMA = {"row": pl.Int32, "column": pl.String, "value": pl.String, "reason": pl.String}


@dataclass
class Mapped:
    """A file mapped to the standard, before validation."""

    frame: pl.DataFrame
    problems: pl.DataFrame
    sources: dict[str, str]
    """Standard field name -> the source column(s) it came from, for messages."""
    unmapped: list[str]
    personal_unmapped: list[str]


def problems_where(
    frame: pl.DataFrame,
    mask: pl.Series | pl.Expr,
    column: str | None,
    value: pl.Expr | None,
    reason: str | pl.Expr,
) -> pl.DataFrame:
    """The problems table for the rows of ``frame`` selected by ``mask``."""
    hits = frame.filter(mask)
    return hits.select(
        pl.col("_row").cast(pl.Int32).alias("row"),
        pl.lit(column, dtype=pl.String).alias("column"),
        (value if value is not None else pl.lit(None, dtype=pl.String))
        .cast(pl.String)
        .str.slice(0, 200)
        .alias("value"),
        (pl.lit(reason) if isinstance(reason, str) else reason).cast(pl.String).alias("reason"),
    )


def _clean_column(series: pl.Series, missing: list[str], max_chars: int) -> pl.Series:
    """Strip values and null the missing markers and over-long values, working once per distinct value."""
    distinct = series.drop_nulls().unique()
    stripped = distinct.str.strip_chars()
    drop = stripped.str.to_lowercase().is_in(missing) | (stripped.str.len_chars() > max_chars)
    cleaned = pl.select(pl.when(drop).then(None).otherwise(stripped)).to_series()
    changed = drop | (cleaned != distinct).fill_null(True)
    if not changed.any():
        return series  # nothing to change: no copy
    return series.replace(distinct.filter(changed), cleaned.filter(changed))


def _too_long(series: pl.Series, rows: pl.Series, max_chars: int) -> pl.DataFrame | None:
    """Problems for the values of ``series`` longer than ``max_chars`` characters, if any."""
    frame = pl.DataFrame({"_row": rows, "v": series}).filter(pl.col("v").str.len_chars() > max_chars)
    if frame.is_empty():
        return None
    return frame.select(
        pl.col("_row").cast(pl.Int32).alias("row"),
        pl.lit(series.name).alias("column"),
        pl.lit(None, dtype=pl.String).alias("value"),
        pl.format(
            "value is {} characters long; at most {} are accepted", pl.col("v").str.len_chars(), pl.lit(max_chars)
        ).alias("reason"),
    )


class _Source:
    """The file's columns, each cleaned when a rule reads it rather than all at once, so that memory holds
    the file's table, the typed output and one rule's columns (a million rows of 60 short text columns
    as polars strings take a gigabyte)."""

    def __init__(self, raw: RawTable, crosswalk: Crosswalk, max_chars: int) -> None:
        self.raw = raw
        self.rows = pl.Series("_row", raw.rows.to_numpy(zero_copy_only=False))
        self.missing = sorted({m.strip().casefold() for m in crosswalk.missing} | {""})
        self.max_chars = max_chars
        self.columns = set(raw.columns)
        self.height = raw.table.num_rows

    def _series(self, name: str) -> pl.Series:
        return pl.Series(name, self.raw.table.column(name)).rechunk()

    def too_long(self) -> list[pl.DataFrame]:
        """Problems for over-long values in any column (checked on the Arrow side first, cheaply)."""
        found = []
        for name in self.raw.columns:
            longest = pc.max(pc.binary_length(self.raw.table.column(name))).as_py() or 0
            if longest > self.max_chars:  # bytes >= characters, so other columns have no over-long value
                problem = _too_long(self._series(name), self.rows, self.max_chars)
                if problem is not None:
                    found.append(problem)
        return found

    def frame(self, names: list[str]) -> pl.DataFrame:
        """The named columns, cleaned, with ``_row``."""
        return pl.DataFrame(
            [*(_clean_column(self._series(n), self.missing, self.max_chars) for n in names), self.rows]
        )


def _source_series(frame: pl.DataFrame, rule: FieldRule, field: Field) -> pl.Series | None:
    """The text column a rule reads, after its own missing markers and value maps."""
    assert rule.column is not None
    if rule.column not in frame.columns:
        return None
    series = frame.get_column(rule.column)
    if rule.missing:
        extra_missing = [m.strip().casefold() for m in rule.missing]
        series = pl.select(
            pl.when(series.str.to_lowercase().is_in(extra_missing)).then(None).otherwise(series)
        ).to_series()
    if rule.values:
        if field.is_multi:
            series = _replace_parts(series, rule.values, rule.separator or MULTI_SEPARATOR)
        else:
            series = replace_values(series, rule.values)
    return series.alias(field.name)


def _replace_parts(series: pl.Series, values: dict[str, ValueTarget], sep: str) -> pl.Series:
    """Apply a value map to each part of a multi-value cell; a part mapped to null is dropped."""
    table = {squash(k): v for k, v in values.items()}
    parts = series.str.split(sep).list.eval(pl.element().str.strip_chars())
    mapping: dict[str, str] = {}
    for value in parts.explode().drop_nulls().unique().to_list():
        key = squash(value)
        if key in table:
            target = table[key]
            mapping[value] = sep.join(target) if isinstance(target, list) else (target or "")
    if not mapping:
        return series
    joined = parts.list.eval(pl.element().replace(mapping)).list.join(sep)
    empty = joined.str.replace_all(re.escape(sep), "").str.strip_chars() == ""
    return pl.select(pl.when(series.is_null() | empty).then(None).otherwise(joined)).to_series()


def _flags(
    frame: pl.DataFrame, rule: FieldRule, field: Field, crosswalk: Crosswalk
) -> tuple[pl.Series, list[pl.DataFrame]]:
    """A multi-select field built from yes/no columns: the codes whose flag is yes (one vectorised pass)."""
    assert rule.flags is not None
    resolve = boolean_codes(crosswalk.true_values, crosswalk.false_values)
    present = {c: code for c, code in rule.flags.items() if c in frame.columns}
    if not present:
        return pl.Series(field.name, [None] * frame.height, dtype=pl.String), []
    coded = {
        column: pl.col(column).replace_strict(
            lookup_map(frame.get_column(column), resolve), default=None, return_dtype=pl.String
        )
        for column in present
    }
    problems: list[pl.DataFrame] = []
    bad = {c: pl.col(c).is_not_null() & e.is_null() for c, e in coded.items()}
    counts = frame.select(b.sum().alias(c) for c, b in bad.items()).row(0)
    for column, n in zip(bad, counts, strict=True):
        if n:
            problems.append(problems_where(frame, bad[column], column, pl.col(column), f"expected {EXPECTED_BOOLEAN}"))
    by_code: dict[str, list[pl.Expr]] = {}
    for column, e in coded.items():
        target = present[column]
        for one in [target] if isinstance(target, str) else target:
            by_code.setdefault(one, []).append(e == "1")
    # Codes in sorted order, each once, joined: no per-row lists (list sorting dominated at 1M rows).
    pieces = [pl.when(pl.any_horizontal(flags)).then(pl.lit(code)) for code, flags in sorted(by_code.items())]
    known = pl.any_horizontal([e.is_not_null() for e in coded.values()])
    joined = pl.concat_str(pieces, separator=MULTI_SEPARATOR, ignore_nulls=True)
    out = frame.select(pl.when(known).then(joined).otherwise(None).alias(field.name)).to_series()
    return out, problems


def _extra_json(columns: list[str], name: str) -> pl.Expr:
    """Unmapped columns as one JSON object per row, keeping only the values present."""
    if not columns:
        return pl.lit(None, dtype=pl.String).alias(name)
    pieces = [
        pl.when(pl.col(c).is_not_null()).then(
            pl.struct(pl.col(c)).struct.json_encode().str.slice(1).str.strip_suffix("}")
        )
        for c in columns
    ]
    body = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    return (
        pl.when(body == "")
        .then(None)
        .otherwise(pl.concat_str([pl.lit("{"), body, pl.lit("}")]))
        .alias(name)
    )


def apply_crosswalk(raw: RawTable, crosswalk: Crosswalk, *, max_chars: int, strict_columns: bool) -> Mapped:
    """Map ``raw`` to the standard with ``crosswalk``; ``strict_columns`` refuses rules naming absent columns."""
    std = load_standard()
    source_table = _Source(raw, crosswalk, max_chars)
    problems = source_table.too_long()
    present = {squash(c): c for c in raw.columns}
    out: dict[str, pl.Series] = {}
    sources: dict[str, str] = {}
    used: set[str] = set()
    for name, rule in crosswalk.fields.items():
        field = std.field(name)
        if rule.column is not None and rule.column not in source_table.columns and squash(rule.column) in present:
            rule = rule.model_copy(update={"column": present[squash(rule.column)]})
        if rule.flags is not None:
            rule = rule.model_copy(
                update={"flags": {present.get(squash(k), k): v for k, v in rule.flags.items()}}
            )
        absent = [c for c in rule.source_columns() if c not in source_table.columns]
        if strict_columns and absent:
            raise InputError(
                f"the mapping reads column {absent[0]!r} for {field.name}, but the file has no such column",
                file=raw.file,
                row=1,
            )
        used.update(rule.source_columns())
        reads = [c for c in rule.source_columns() if c in source_table.columns]
        sources[field.name] = ", ".join(reads) or "(none)"
        frame = source_table.frame(reads)
        if rule.flags is not None:
            series, flag_problems = _flags(frame, rule, field, crosswalk)
            problems.extend(flag_problems)
            out[field.name] = series
            continue
        source = _source_series(frame, rule, field)
        if source is None:
            continue
        values, bad = convert(
            source,
            field,
            separator=rule.separator,
            date_format=rule.date_format,
            true_values=crosswalk.true_values,
            false_values=crosswalk.false_values,
        )
        if bad.any():
            assert rule.column is not None
            problems.append(
                problems_where(frame, bad, rule.column, pl.col(rule.column), f"expected {expected(field)}")
            )
        out[field.name] = pl.select(pl.when(bad).then(None).otherwise(values)).to_series().alias(field.name)
    for name, default in crosswalk.defaults.items():
        field = std.field(name)
        literal = pl.Series(field.name, [default])
        value, bad = convert(
            literal,
            field,
            separator=None,
            date_format=None,
            true_values=crosswalk.true_values,
            false_values=crosswalk.false_values,
        )
        if bad.any():
            raise InputError(f"the mapping's default {default!r} for {field.name} is not {expected(field)}")
        current = out.get(field.name)
        filler = pl.repeat(value[0], source_table.height, eager=True, dtype=value.dtype).alias(field.name)
        out[field.name] = filler if current is None else current.fill_null(value[0])
        sources.setdefault(field.name, "(default)")
    unmapped = [c for c in raw.columns if c not in used]
    personal = [c for c in unmapped if looks_identifying(c)]
    typed = pl.DataFrame([source_table.rows, *out.values()])
    original = pl.from_arrow(raw.table.select(unmapped))
    assert isinstance(original, pl.DataFrame)
    original = original.select(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c).str.strip_chars()).alias(c)
        for c in unmapped
    )
    kept = [c for c in unmapped if c not in personal]
    typed = typed.with_columns(
        original.select(_extra_json(kept, "extra")).to_series() if kept else pl.lit(None, pl.String).alias("extra"),
        original.select(_extra_json(personal, PERSONAL_EXTRA)).to_series()
        if personal
        else pl.lit(None, pl.String).alias(PERSONAL_EXTRA),
    )
    problem_frame = pl.concat(problems) if problems else pl.DataFrame(schema=PROBLEM_SCHEMA)
    return Mapped(
        frame=typed, problems=problem_frame, sources=sources, unmapped=unmapped,
        personal_unmapped=personal,
    )
