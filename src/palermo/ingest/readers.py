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
import re
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
    text = _head_text(head)
    stripped = text.lstrip("\ufeff \t\r\n")
    suffix = path.suffix.lower()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "json" if _is_single_json(stripped, suffix) else "ndjson"
    if suffix == ".json":  # a JSON scalar, or not JSON at all: read_json says which
        return "json"
    if suffix in {".xlsx", ".xlsm"}:
        raise InputError("is not a valid XLSX workbook (it is not a zip archive)", file=path.name)
    if suffix == ".xls":
        raise InputError("old Excel .xls files are not supported; save it as .xlsx or CSV", file=path.name)
    return "csv"


def _head_text(head: bytes) -> str:
    """The first bytes as text, well enough to recognise JSON (UTF-16 with or without BOM too)."""
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else _bomless_utf16(head) or "utf-8"
    return head[: len(head) - len(head) % 2 if encoding.startswith("utf-16") else len(head)].decode(
        encoding, errors="ignore"
    )


def _is_single_json(text: str, suffix: str) -> bool:
    """Whether text starting with ``{`` is one JSON document (not one object per line)."""
    first, _, rest = text.lstrip().partition("\n")
    try:
        json.loads(first)
    except ValueError:
        return True  # an object spread over several lines (or a first line cut short)
    # One complete object per line is NDJSON; a .json file holding a single object is JSON (and refused).
    return suffix == ".json" and (not rest or rest.isspace())


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

    full = text.decode("utf-8")
    stripped = full.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):  # decided again on the whole text: the first line may be longer than the head
        fmt = "json" if _is_single_json(stripped, path.suffix.lower()) else "ndjson"
    return read_json(full, name, fmt, encoding)


_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
"""A valid multi-byte UTF-8 sequence: text in a legacy encoding almost never contains one."""
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def decode_text(data: bytes, name: str) -> tuple[bytes, str]:
    """Return the file's text as UTF-8 bytes and the encoding it was read in."""
    utf16 = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else _bomless_utf16(data)
    if utf16 is not None:
        try:
            data, encoding = data.decode(utf16).lstrip("\ufeff").encode("utf-8"), utf16
        except UnicodeDecodeError as exc:
            raise InputError(f"is not valid UTF-16 text (byte {exc.start})", file=name) from None
    elif data.startswith(b"\xef\xbb\xbf"):
        data, encoding = data[3:], "utf-8-sig"
    else:
        encoding = "utf-8"
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise InputError(
            "contains binary data (a NUL byte); expected a CSV, XLSX, JSON or NDJSON text file",
            file=name,
            row=row,
        )
    if _looks_binary(data):
        raise InputError(
            "does not look like text (mostly control characters); expected CSV, XLSX or JSON", file=name
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        where = _column_at(data, exc.start)
        if encoding != "utf-8" or _UTF8_SEQUENCE.search(data):
            # Some of the text is UTF-8 and some is not: decoding it all in a legacy encoding would
            # silently garble the UTF-8 part, so refuse the file and say where the odd byte is.
            raise InputError(
                f"byte {exc.start} (0x{data[exc.start]:02x}) is not valid UTF-8, while the rest of the file "
                "is UTF-8: the file mixes text encodings; save it as UTF-8",
                file=name,
                row=row,
                column=where,
            ) from None
        legacy = _legacy_encoding(data)
        if legacy is None:
            raise InputError(
                f"byte {exc.start} is not valid UTF-8 and the text encoding cannot be recognised; "
                "save the file as UTF-8",
                file=name,
                row=row,
                column=where,
            ) from None
        encoding = legacy
        try:
            data = data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"is neither UTF-8 nor {encoding}; save the file as UTF-8", file=name) from None
    return data, encoding


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` for UTF-16 text without a BOM (every other byte NUL), else None."""
    sample = data[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.7 * len(odd) and even.count(0) <= 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.7 * len(even) and odd.count(0) <= 0.05 * len(odd):
        return "utf-16-be"
    return None


def _legacy_encoding(data: bytes) -> str | None:
    """The most likely 8-bit encoding of text that is not UTF-8.

    Windows-1252 first: it is what spreadsheets on Western-language Windows save, and detectors guess
    it badly on short files (reading "Côte" as "C¶te"). It is taken when the accented characters it
    gives sit inside words of plain letters, as in Latin-script text; text in another script read as
    Windows-1252 gives whole words of accented letters instead, and is left to the detector.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        runs = [len(r) for r in _NON_ASCII_RUN.findall(text[: 1 << 20])]
        if sum(n for n in runs if n >= 3) <= 0.25 * sum(runs):
            return "cp1252"
    guess = from_bytes(data[: 1 << 20]).best()
    if guess is None or guess.encoding in {"utf_8", "ascii"}:
        return None
    return str(guess.encoding)


def _column_at(data: bytes, offset: int) -> str | None:
    """The header name of the CSV column holding byte ``offset`` (best effort: quoting is ignored)."""
    start = data.rfind(b"\n", 0, offset) + 1
    header = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    if start == 0:
        return None
    delimiter = _sniff_delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter), [])
    index = data[start:offset].count(delimiter.encode())
    return names[index].strip() if index < len(names) and names[index].strip() else None


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
    if not data.endswith((b"\n", b"\r")):  # a last line without line end (a header alone, say) is a line
        data += b"\n"
    sample = data[:65536].decode("utf-8", errors="ignore")
    lines = sample.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("the first row is empty; expected a header row naming the columns", file=name, row=1)
    delimiter = _sniff_delimiter("\n".join(lines[:50]))
    try:  # newline="" lets the csv module see \r, \n and \r\n line ends alike
        header_row = next(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        raise InputError(f"the header row cannot be read as CSV ({exc})", file=name, row=1) from None
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
