"""Read an XLSX workbook's data sheet as text (openpyxl, read-only; formulas kept as written)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import InputError
from .problems import Problem
from .readers import RawTable, header_names


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path, *, sheet: str | None = None) -> RawTable:
    """Read one sheet: the one named, or the only sheet holding data."""
    name = path.name
    try:
        book = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"is not a readable XLSX workbook ({exc.__class__.__name__})", file=name) from None
    try:
        if sheet is not None:
            if sheet not in book.sheetnames:
                raise InputError(
                    f"has no sheet {sheet!r}; its sheets are {', '.join(map(repr, book.sheetnames))}",
                    file=name,
                )
            chosen = sheet
        else:
            with_data = [s for s in book.sheetnames if _has_data(book[s])]
            if not with_data:
                raise InputError("has no sheet with data; expected a header row and data rows", file=name)
            if len(with_data) > 1:
                raise InputError(
                    f"has {len(with_data)} sheets with data ({', '.join(map(repr, with_data))}); "
                    "choose one with --sheet NAME",
                    file=name,
                )
            chosen = with_data[0]
        rows = book[chosen].iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None or all(v is None for v in header_row):
            raise InputError(
                f"sheet {chosen!r}: the first row is empty; expected a header row", file=name, row=1
            )
        columns = header_names(header_row, name)
        width = len(columns)
        data: list[list[str | None]] = [[] for _ in columns]
        numbers: list[int] = []
        problems: list[Problem] = []
        for number, values in enumerate(rows, start=2):
            cells = [_text(v) for v in values]
            if all(c is None or not c.strip() for c in cells):
                continue
            cells = (cells + [None] * width)[:width] if len(cells) <= width else cells
            if len(cells) > width:
                if any(c is not None and c.strip() for c in cells[width:]):
                    extra = next(i for i, c in enumerate(cells[width:], start=width + 1) if c and c.strip())
                    problems.append(
                        Problem(
                            row=number,
                            column=None,
                            value=None,
                            reason=f"has a value in column {get_column_letter(extra)}, right of the header's "
                            f"last column {get_column_letter(width)}",
                        )
                    )
                    continue
                cells = cells[:width]
            for column, cell in zip(data, cells, strict=True):
                column.append(cell)
            numbers.append(number)
    finally:
        book.close()
    table = pa.table({c: pa.array(v, type=pa.string()) for c, v in zip(columns, data, strict=True)})
    return RawTable(
        file=name,
        format="xlsx",
        columns=columns,
        table=table,
        rows=pa.array(numbers, type=pa.int32()),
        problems=problems,
        sheet=chosen,
    )


def _has_data(ws: object) -> bool:
    for values in ws.iter_rows(values_only=True, max_row=2):  # type: ignore[attr-defined]
        if any(v is not None and str(v).strip() for v in values):
            return True
    return False
