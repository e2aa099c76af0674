"""Read a partner's file (CSV, XLSX, JSON, NDJSON) into an Arrow table of strings.

One entry point, :func:`read_table`, detects the format from the content (not only the name),
the text encoding (BOM, UTF-8, else the most likely legacy encoding) and the CSV delimiter. Every
value is read as text; typing and validation happen later against the standard. Rows that cannot
be read (too many or too few fields) are returned as problems with their row numbers, never dropped
silently. Row numbers are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from charset_normalizer import from_bytes

from ..errors import InputError
from .problems import Problem

FORMATS = ("csv", "xlsx", "json", "ndjson")
_BLOCK = 16 << 20


@dataclass
class RawTable:
    """A file read as text: one string column per source column, and the source row of each row."""

    file: str
    format: str
    columns: list[str]
    table: pa.Table
    rows: pa.Array
    problems: list[Problem] = field(default_factory=list)
    encoding: str | None = None
    sheet: str | None = None

    @property
    def rows_read(self) -> int:
        """Data rows found in the file, readable or not."""
        return int(self.table.num_rows) + len({p.row for p in self.problems})


def detect_format(path: Path, head: bytes) -> str:
    """The file's format, from its first bytes, falling back on its extension."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    suffix = path.suffix.lower()
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "json" if suffix == ".json" and _is_single_json(head) else "ndjson"
    if suffix in {".xlsx", ".xlsm"}:
        raise InputError("is not a valid XLSX workbook (it is not a zip archive)", file=path.name)
    if suffix == ".xls":
        raise InputError("old Excel .xls files are not supported; save it as .xlsx or CSV", file=path.name)
    return "csv"


def _is_single_json(head: bytes) -> bool:
    first_line = head.split(b"\n", 1)[0].strip()
    try:
        json.loads(first_line)
    except ValueError:
        return True
    return False


def read_table(path: Path, *, sheet: str | None = None, max_bytes: int | None = None) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; raise :class:`InputError` if the file as a whole is unusable."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", file=str(path)) from None
    if path.is_dir():
        raise InputError("is a folder, not a file", file=str(path))
    if size == 0:
        raise InputError("is empty (0 bytes); expected a header row and data rows", file=name)
    if max_bytes is not None and size > max_bytes:
        raise InputError(f"is {size:,} bytes, more than the limit of {max_bytes:,}", file=name)
    with path.open("rb") as handle:
        head = handle.read(65536)
    fmt = detect_format(path, head)
    if fmt == "xlsx":
        from .xlsx import read_xlsx

        return read_xlsx(path, sheet=sheet)
    if sheet is not None:
        raise InputError("--sheet applies to XLSX workbooks only", file=name)
    text, encoding = decode_text(path.read_bytes(), name)
    if fmt == "csv":
        return _read_csv(text, name, encoding)
    from .jsonfile import read_json

    return read_json(text.decode("utf-8"), name, fmt, encoding)


def decode_text(data: bytes, name: str) -> tuple[bytes, str]:
    """Return the file's text as UTF-8 bytes and the encoding it was read in."""
    if data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"is not valid UTF-16 text (byte {exc.start})", file=name) from None
    else:
        encoding = "utf-8"
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise InputError(
            f"contains binary data (a NUL byte at row {row}); expected a CSV, XLSX, JSON or NDJSON text file",
            file=name,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        guess = from_bytes(data[: 1 << 20]).best()
        if guess is None or guess.encoding in {"utf_8", "ascii"}:
            row = data.count(b"\n", 0, exc.start) + 1
            raise InputError(
                f"row {row}: byte {exc.start} is not valid UTF-8 and the text encoding cannot be recognised; "
                "save the file as UTF-8",
                file=name,
            ) from None
        encoding = guess.encoding
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"is neither UTF-8 nor {encoding}; save the file as UTF-8", file=name) from None
    if _looks_binary(data):
        raise InputError(
            "does not look like text (mostly control characters); expected CSV, XLSX or JSON", file=name
        )
    return data, encoding


def _looks_binary(data: bytes) -> bool:
    sample = data[:65536]
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return control > max(8, len(sample) // 20)


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def header_names(raw: Iterable[object], file: str) -> list[str]:
    """Clean a header row: strip names, name empty ones ``column_N``, refuse duplicates."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for index, value in enumerate(raw, start=1):
        text = "" if value is None else " ".join(str(value).split())
        if not text:
            text = f"column_{index}"
        key = text.casefold()
        if key in seen:
            raise InputError(
                f"the header names {text!r} twice (columns {seen[key]} and {index}); "
                "rename one so every column has its own name",
                file=file,
                row=1,
                column=text,
            )
        seen[key] = index
        names.append(text)
    return names


def _read_csv(data: bytes, name: str, encoding: str) -> RawTable:
    sample = data[:65536].decode("utf-8", errors="ignore")
    first_line = sample.split("\n", 1)[0]
    if not first_line.strip():
        raise InputError("the first row is empty; expected a header row naming the columns", file=name, row=1)
    delimiter = _sniff_delimiter("\n".join(sample.splitlines()[:50]))
    header_row = next(csv.reader(io.StringIO(sample), delimiter=delimiter))
    columns = header_names(header_row, name)
    bad: list[Problem] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        fields = "more" if row.actual_columns > row.expected_columns else "fewer"
        bad.append(
            Problem(
                row=row.number or 0,
                column=None,
                value=row.text[:200],
                reason=f"has {row.actual_columns} fields, {fields} than the {row.expected_columns} columns "
                "of the header",
            )
        )
        return "skip"

    def parse(threads: bool, block: int) -> pa.Table:
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=columns, skip_rows=1, use_threads=threads, block_size=block
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        try:
            table = parse(True, _BLOCK)
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc):
                raise
            bad.clear()
            table = parse(True, len(data) + 1)
        if bad:  # row numbers of unreadable rows are only known in a single-threaded pass
            bad.clear()
            table = parse(False, max(_BLOCK, len(data) + 1))
    except pa.ArrowInvalid as exc:
        raise InputError(f"cannot be read as CSV: {str(exc).splitlines()[0]}", file=name) from None
    numbers = np.arange(2, table.num_rows + len(bad) + 2, dtype=np.int32)
    if bad:
        numbers = numbers[~np.isin(numbers, [p.row for p in bad])]
    return RawTable(
        file=name,
        format="csv",
        columns=columns,
        table=table,
        rows=pa.array(numbers[: table.num_rows]),
        problems=bad,
        encoding=encoding,
    )
