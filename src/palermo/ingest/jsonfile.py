"""Read JSON (a list of objects) and NDJSON (one object per line) as text columns."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from ..errors import InputError
from ..standard import MULTI_SEPARATOR
from .problems import Problem
from .readers import RawTable, header_names


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return MULTI_SEPARATOR.join(str(v) for v in value)
    raise TypeError


class _Object(dict[str, Any]):
    """A JSON object as read, remembering a key it names twice (``json`` keeps only the last value)."""

    duplicate: str | None = None


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    for key, value in pairs:
        if key in obj and obj.duplicate is None:
            obj.duplicate = key
        obj[key] = value
    return obj


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "list"


def _records(text: str, name: str, fmt: str) -> list[tuple[int, Any]]:
    if fmt == "json":
        try:
            doc = json.loads(text, object_pairs_hook=_pairs)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", file=name
            ) from None
        if not isinstance(doc, list):
            raise InputError(
                f"holds a JSON {json_type(doc)}; expected a list of objects, one per case",
                file=name,
            )
        return list(enumerate(doc, start=1))
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((number, json.loads(line, object_pairs_hook=_pairs)))
        except json.JSONDecodeError as exc:
            found.append((number, exc))
    return found


def read_json(text: str, name: str, fmt: str, encoding: str) -> RawTable:
    """Read JSON or NDJSON text; each record is a row, its keys the columns (first seen, first)."""
    records = _records(text, name, fmt)
    if not records:
        raise InputError("holds no records; expected a list of objects, one per case", file=name)
    keys: dict[str, None] = {}
    spelled: dict[str, str] = {}
    for number, rec in records:
        if isinstance(rec, dict):
            for key in rec:
                first = spelled.setdefault(" ".join(key.split()).casefold(), key)
                if first != key:
                    raise InputError(
                        f"the keys {first!r} and {key!r} name the same column (they differ only in case or "
                        "spacing); spell them alike in every record",
                        file=name,
                        row=number,
                        column=key,
                    )
            keys.update(dict.fromkeys(rec))
    if not keys:
        raise InputError(
            "holds no objects; expected a list of objects, one per case", file=name, row=records[0][0]
        )
    columns = header_names(keys, name)
    data: list[list[str | None]] = [[] for _ in columns]
    numbers: list[int] = []
    problems: list[Problem] = []
    for number, rec in records:
        if isinstance(rec, json.JSONDecodeError):
            problems.append(Problem(number, None, None, f"is not valid JSON: {rec.msg}"))
            continue
        if not isinstance(rec, dict):
            problems.append(
                Problem(number, None, str(rec)[:200], f"is a JSON {json_type(rec)}, not an object")
            )
            continue
        if isinstance(rec, _Object) and rec.duplicate is not None:
            problems.append(
                Problem(
                    number,
                    rec.duplicate,
                    None,
                    f"names the key {rec.duplicate!r} twice; give each value its own key",
                )
            )
            continue
        cells: list[str | None] = []
        bad: tuple[str, str] | None = None
        for key in keys:
            try:
                cell = _cell(rec.get(key))
            except TypeError:
                bad = (key, "holds a nested object or list; expected a plain value")
                break
            if cell is not None and "\x00" in cell:  # valid JSON (\u0000), but no database stores it in text
                bad = (key, "holds a NUL character (\\u0000), which cannot be stored; remove it")
                break
            cells.append(cell)
        if bad is not None:
            problems.append(Problem(number, bad[0], None, bad[1]))
            continue
        for column, cell in zip(data, cells, strict=True):
            column.append(cell)
        numbers.append(number)
    table = pa.table({c: pa.array(v, type=pa.string()) for c, v in zip(columns, data, strict=True)})
    return RawTable(
        file=name,
        format=fmt,
        columns=columns,
        table=table,
        rows=pa.array(numbers, type=pa.int32()),
        problems=problems,
        encoding=encoding,
    )
