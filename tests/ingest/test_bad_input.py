"""Bad input never gives a traceback, a partial write or silent loss.

Every kind of bad file the issue lists is written to tmp_path and ingested twice: through the library
(:func:`palermo.ingest.pipeline.ingest_file`, which raises an error naming file, row and column) and
through the ``palermo`` command as a real process (exit code, message naming the file, no traceback).
A file that cannot be used leaves every table of the store exactly as it was; a row that cannot be
used goes to the quarantine table with its row, column and reason while the other rows are stored.
Values a spreadsheet would run as formulas leave palermo (reports, exports) only escaped.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from tests.support import HEADER

from palermo.errors import InputError, NotFoundError
from palermo.ingest.pipeline import ingest_file
from palermo.store.db import Store
from palermo.store.export import export_cases, export_rejected
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, ingest_batch, metadata, person_identity, quarantine

PALERMO = str(Path(sys.executable).with_name("palermo"))
GOOD = ["2019", "Feminine", "TH", "18--20", "Adult", "ForcedLabour", "Ana", "2000-01-02"]
FORMULA = '=HYPERLINK("http://evil","click")'
NEXT_YEAR = date.today().year + 1


@pytest.fixture
def shelter(sqlite_store: Store) -> str:
    """A registered organisation in the SQLite store."""
    add_organisation(sqlite_store, "Test Shelter", "NGO", "TH")
    return "Test Shelter"


def csv_text(rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    """The rows as CSV text, quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def snapshot(store: Store) -> dict[str, int]:
    """The number of rows in every table of the store."""
    with store.engine.connect() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in metadata.sorted_tables
        }


def cli(db: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``palermo --db DB ARGS`` as a user would; wide output so messages are not wrapped."""
    env = {k: v for k, v in os.environ.items() if k != "PALERMO_DATABASE_URL"}
    env["COLUMNS"] = "250"
    return subprocess.run([PALERMO, "--db", db, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def flat(text: str) -> str:
    """Text with runs of white space made single spaces (console output may wrap)."""
    return " ".join(text.split())


def strings(doc: Any) -> Iterator[str]:
    """Every string in a parsed JSON document, keys included."""
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for key, value in doc.items():
            yield key
            yield from strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from strings(value)


def runs_as_formula(value: str) -> bool:
    """Whether a spreadsheet would run ``value`` as a formula (a plain signed number would not)."""
    return bool(re.match(r"[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]", value)) and not re.fullmatch(
        r"[+-]?\d+([.,]\d+)?", value
    )


# --- files that cannot be used at all --------------------------------------------------------------


def _xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


def _bytes(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


def _zip_of_text(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")


_NOISE = random.Random(7).randbytes(20_000)
_PNG = b"\x89PNG\r\n\x1a\n" + _NOISE


def _nul_row(data: bytes) -> int:
    """The line of the first NUL byte, as the error names it."""
    return data[: data.index(b"\x00")].count(b"\n") + 1


def _nul_in_row_3() -> bytes:
    data = csv_text([GOOD, GOOD]).encode()
    at = data.rindex(b"Ana")
    return data[:at] + b"A\x00a" + data[at + 3 :]


@dataclass(frozen=True)
class BadFile:
    """A file that cannot be used as a whole, and what the error must say."""

    name: str
    write: Callable[[Path], None]
    says: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None


BAD_FILES = [
    BadFile("empty.csv", _bytes(b""), "is empty"),
    BadFile("header_only.csv", _bytes((",".join(HEADER) + "\n").encode()), "has a header but no data rows", row=2),
    BadFile("header_only_no_newline.csv", _bytes(",".join(HEADER).encode()), "has a header but no data rows", row=2),
    BadFile(
        "header_only_bom_crlf.csv",
        _bytes(b"\xef\xbb\xbf" + (";".join(HEADER) + "\r\n").encode()),
        "has a header but no data rows",
        row=2,
    ),
    BadFile("blank_lines.csv", _bytes(b"\n\r\n  \n"), "the first row is empty", row=1),
    BadFile("only_bom.csv", _bytes(b"\xef\xbb\xbf"), "the first row is empty", row=1),
    BadFile("garbage.csv", _bytes(_NOISE), "binary data", row=_nul_row(_NOISE)),
    BadFile("garbage_no_nul.csv", _bytes(_NOISE.replace(b"\x00", b"")), "does not look like text"),
    BadFile("photo.png", _bytes(_PNG), "binary data", row=_nul_row(_PNG)),
    BadFile("nul_in_row_3.csv", _bytes(_nul_in_row_3()), "binary data (a NUL byte)", row=3),
    BadFile(
        "mixed_encoding.csv",
        _bytes(
            csv_text([[*GOOD[:2], "Côte d'Ivoire", *GOOD[3:]]]).encode("utf-8")
            + ",".join([*GOOD[:2], "Curaçao", *GOOD[3:]]).encode("cp1252")
            + b"\n"
        ),
        "mixes text encodings",
        row=3,
        column="prs_Citizenship",
    ),
    BadFile(
        "bom_then_windows_1252.csv",
        _bytes(b"\xef\xbb\xbf" + csv_text([[*GOOD[:2], "Curaçao", *GOOD[3:]]]).encode("cp1252")),
        "mixes text encodings",
        row=2,
        column="prs_Citizenship",
    ),
    BadFile(
        "duplicate_header.csv",
        _bytes(csv_text([[*GOOD, "F"]], header=[*HEADER, " PRS_gender "]).encode()),
        "twice (columns 2 and 9)",
        row=1,
        column="PRS_gender",
    ),
    BadFile(
        "duplicate_header.xlsx",
        lambda p: _xlsx(p, {"Cases": [[*HEADER, "prs_Citizenship"], [*GOOD, "TH"]]}),
        "twice (columns 3 and 9)",
        row=1,
        column="prs_Citizenship",
    ),
    BadFile(
        "duplicate_keys.json",
        _bytes(json.dumps([dict(zip(HEADER, GOOD, strict=True)), {"PRS_GENDER": "M"}]).encode()),
        "the keys 'prs_Gender' and 'PRS_GENDER' name the same column",
        row=2,
        column="PRS_GENDER",
    ),
    BadFile(
        "several_sheets.xlsx",
        lambda p: _xlsx(p, {"2023": [HEADER, GOOD], "2024": [HEADER, GOOD]}),
        "has 2 sheets with data ('2023', '2024'); choose one with --sheet NAME",
    ),
    BadFile(
        "no_such_sheet.xlsx",
        lambda p: _xlsx(p, {"2023": [HEADER, GOOD], "2024": [HEADER, GOOD]}),
        "has no sheet '2025'; its sheets are '2023', '2024'",
        sheet="2025",
    ),
    BadFile("sheet_of_a_csv.csv", _bytes(csv_text([GOOD]).encode()), "--sheet applies to XLSX", sheet="Cases"),
    BadFile("empty_book.xlsx", lambda p: _xlsx(p, {"Sheet1": []}), "has no sheet with data"),
    BadFile("header_only.xlsx", lambda p: _xlsx(p, {"Cases": [HEADER]}), "has a header but no data rows", row=2),
    BadFile("text.xlsx", _bytes(csv_text([GOOD]).encode()), "is not a valid XLSX workbook"),
    BadFile("broken.xlsx", _bytes(b"PK\x03\x04" + bytes(200)), "is not a readable XLSX workbook"),
    BadFile("archive.xlsx", _zip_of_text, "is not a readable XLSX workbook"),
    BadFile("old.xls", _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)), ".xls files are not supported"),
    BadFile(
        "object.json",
        _bytes(json.dumps({"cases": [dict(zip(HEADER, GOOD, strict=True))]}, indent=1).encode()),
        "holds a JSON object; expected a list of objects",
    ),
    BadFile(
        "one_object.json",
        _bytes(json.dumps(dict(zip(HEADER, GOOD, strict=True))).encode()),
        "holds a JSON object; expected a list of objects",
    ),
    BadFile("number.json", _bytes(b"42\n"), "holds a JSON number; expected a list of objects"),
    BadFile("string.json", _bytes(b'"cases"'), "holds a JSON string; expected a list of objects"),
    BadFile("null.json", _bytes(b"null"), "holds a JSON null; expected a list of objects"),
    BadFile("numbers.json", _bytes(b"[1, 2, 3]"), "holds no objects", row=1),
    BadFile("lists.json", _bytes(json.dumps([HEADER, GOOD]).encode()), "holds no objects", row=1),
    BadFile("empty_list.json", _bytes(b"[]"), "holds no records"),
    BadFile("truncated.json", _bytes(b'[{"prs_Gender": "F"},\n {"prs_Gender": '), "is not valid JSON"),
    BadFile(
        "unknown_layout.csv",
        _bytes(b"Name,Age,Shoe size\nAna,19,38\n"),
        "not one palermo knows",
        row=1,
    ),
]


@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.name for b in BAD_FILES])
def test_unusable_file_is_refused_by_the_library(store: Store, org: str, tmp_path: Path, bad: BadFile) -> None:
    path = tmp_path / bad.name
    bad.write(path)
    before = snapshot(store)
    with pytest.raises(InputError) as caught:
        ingest_file(store, path, org, sheet=bad.sheet)
    error = caught.value
    assert bad.says in error.message
    assert (error.file, error.row, error.column) == (bad.name, bad.row, bad.column)
    assert error.message.startswith(f"file {bad.name}")
    if bad.row is not None:
        assert f"row {bad.row}" in error.message
    if bad.column is not None:
        assert repr(bad.column) in error.message
    assert snapshot(store) == before


@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.name for b in BAD_FILES])
def test_unusable_file_is_refused_by_the_command(
    sqlite_store: Store, shelter: str, tmp_path: Path, bad: BadFile
) -> None:
    path = tmp_path / bad.name
    bad.write(path)
    before = snapshot(sqlite_store)
    report = tmp_path / "report.json"
    sheet = ["--sheet", bad.sheet] if bad.sheet else []
    out = cli(
        sqlite_store.url, "ingest", str(path), "--org", shelter, *sheet, "--report-json", str(report), cwd=tmp_path
    )
    assert out.returncode == 2, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    said = flat(out.stdout + out.stderr)
    assert f"{bad.name}: file {bad.name}" in said
    assert flat(bad.says) in said
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert (doc["accepted"], doc["rejected"]) == (0, 0)
    assert [f["file"] for f in doc["failed"]] == [bad.name]
    assert bad.says in doc["failed"][0]["error"]
    assert snapshot(sqlite_store) == before


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_missing_file_or_folder_is_refused_by_the_library(
    sqlite_store: Store, shelter: str, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "cases.csv"
    if kind == "folder":
        path.mkdir()
    with pytest.raises(InputError, match=r"cases\.csv"):
        ingest_file(sqlite_store, path, shelter)


@pytest.mark.parametrize("kind", ["missing", "folder"])
def test_missing_file_or_folder_is_refused_by_the_command(
    sqlite_store: Store, shelter: str, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "cases.csv"
    if kind == "folder":
        path.mkdir()
    out = cli(sqlite_store.url, "ingest", str(path), "--org", shelter, cwd=tmp_path)
    assert "Traceback" not in out.stderr
    assert out.returncode == 2
    assert "cases.csv" in out.stdout + out.stderr


def test_one_unusable_file_among_good_ones(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    """Exit code 2 names the bad file; the good files of the same command are stored whole."""
    good = tmp_path / "good.csv"
    good.write_text(csv_text([GOOD]), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}', encoding="utf-8")
    out = cli(sqlite_store.url, "ingest", str(good), str(bad), "--org", shelter, cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "bad.json: file bad.json: holds a JSON object" in flat(out.stdout)
    counts = snapshot(sqlite_store)
    assert (counts["ingest_batch"], counts["case_record"], counts["quarantine"]) == (1, 1, 0)


# --- the organisation ------------------------------------------------------------------------------


def test_unknown_organisation_says_how_to_register_it(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(csv_text([GOOD]), encoding="utf-8")
    before = snapshot(store)
    with pytest.raises(NotFoundError) as caught:
        ingest_file(store, path, "Nobody Shelter")
    assert "'Nobody Shelter' is not registered" in caught.value.message
    assert "palermo org add 'Nobody Shelter' --type" in caught.value.message
    assert snapshot(store) == before


def test_unknown_organisation_on_the_command_line(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(csv_text([GOOD]), encoding="utf-8")
    before = snapshot(sqlite_store)
    out = cli(sqlite_store.url, "ingest", str(path), "--org", "Nobody Shelter", cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    said = flat(out.stderr)
    assert "'Nobody Shelter' is not registered" in said and "palermo org add" in said and "palermo org list" in said
    missing_org = cli(sqlite_store.url, "ingest", str(path), cwd=tmp_path)
    assert missing_org.returncode == 2 and "--org is required" in missing_org.stderr
    assert "Traceback" not in missing_org.stderr
    assert snapshot(sqlite_store) == before


# --- rows that cannot be used: quarantined, the others stored --------------------------------------

ROW_HEADER = [*HEADER, "vic_AgeWhenTrafficked", "hte_City", "Programme"]
HUGE = "x" * (10 * 1024 * 1024)


def _row(**changes: str) -> list[str]:
    values = dict(zip(ROW_HEADER, [*GOOD, "19", "Bangkok", "note"], strict=True))
    values.update(changes)
    return list(values.values())


ROW_CASES: list[tuple[list[str], str | None, str]] = [
    # (row, column blamed (None: the whole row), words of the reason); the file's row numbers start at 2
    (_row(), None, ""),
    (_row(vic_TypeOfExploitation="Bogus"), "vic_TypeOfExploitation", "expected one or more of ForcedLabour"),
    (_row(prs_Citizenship="Atlantis"), "prs_Citizenship", "expected a country"),
    (
        _row(cas_RegistrationYear=str(NEXT_YEAR)),
        "cas_RegistrationYear",
        f"year of registration {NEXT_YEAR} is in the future",
    ),
    (_row(vic_AgeBand="9--17", vic_MajorityStatus="Adult"), "vic_MajorityStatus", "contradicts age band 9--17"),
    (["2019", "Feminine", "TH"], None, "has 3 fields, fewer than the 11 columns"),
    ([*_row(), "extra", "more"], None, "has 13 fields, more than the 11 columns"),
    (_row(Programme=HUGE), "Programme", f"value is {len(HUGE)} characters long"),
    (_row(vic_AgeWhenTrafficked="111"), "vic_AgeWhenTrafficked", "above the maximum 110"),
    (_row(cas_RegistrationYear="1985", prs_Birthdate=""), "cas_RegistrationYear", "below the minimum 1990"),
    (
        _row(prs_Birthdate=f"{NEXT_YEAR}-01-01", cas_RegistrationYear=str(date.today().year)),
        "prs_Birthdate",
        "in the future",
    ),
    (_row(prs_Birthdate="31/02/2020"), "prs_Birthdate", "expected a date"),
    (_row(prs_Citizenship=FORMULA), "prs_Citizenship", "expected a country"),
    (_row(prs_Gender="Masculine", prs_Citizenship="KH", hte_City="Phnom Penh"), None, ""),
    (_row(vic_AgeBand="30--38", vic_MajorityStatus="Minor"), "vic_MajorityStatus", "contradicts age band 30--38"),
    (_row(hte_City=FORMULA), None, ""),
    (_row(prs_Gender="X"), "prs_Gender", "expected one of Feminine"),
    (_row(vic_AgeWhenTrafficked="twenty"), "vic_AgeWhenTrafficked", "expected a whole number"),
]
ACCEPTED_ROWS = [row for row, (_, _, reason) in enumerate(ROW_CASES, start=2) if not reason]
REFUSED = {(row, column) for row, (_, column, reason) in enumerate(ROW_CASES, start=2) if reason}


def _row_file(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.csv"
    path.write_text(csv_text([r for r, _, _ in ROW_CASES], header=ROW_HEADER), encoding="utf-8")
    return path


def test_bad_rows_are_quarantined_and_the_others_stored(store: Store, org: str, tmp_path: Path) -> None:
    path = _row_file(tmp_path)
    report = ingest_file(store, path, org)
    assert report.status == "stored"
    assert (report.rows_read, report.accepted, report.rejected) == (len(ROW_CASES), len(ACCEPTED_ROWS), len(REFUSED))
    assert {(p.row, p.column) for p in report.problems} == REFUSED
    for row, (_, column, reason) in enumerate(ROW_CASES, start=2):
        if reason:
            assert any(p.row == row and p.column == column and reason in p.reason for p in report.problems), row
    assert all(p.file == "mixed.csv" for p in report.problems)
    with store.engine.connect() as conn:
        batch = conn.execute(select(ingest_batch)).one()
        cases = conn.execute(
            select(case_record.c.source_row, case_record.c.batch_id, case_record.c.prs_citizenship).order_by(
                case_record.c.source_row
            )
        ).all()
        held = conn.execute(
            select(
                quarantine.c.source_row,
                quarantine.c.column_name,
                quarantine.c.value,
                quarantine.c.reason,
                quarantine.c.batch_id,
                quarantine.c.raw_row,
            )
        ).all()
        names = conn.execute(select(person_identity.c.source_row).order_by(person_identity.c.source_row)).all()
    assert (batch.file_name, batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (
        "mixed.csv",
        len(ROW_CASES),
        len(ACCEPTED_ROWS),
        len(REFUSED),
    )
    assert [tuple(c) for c in cases] == [(2, batch.id, "TH"), (15, batch.id, "KH"), (17, batch.id, "TH")]
    assert [n[0] for n in names] == ACCEPTED_ROWS
    assert {(h.source_row, h.column_name) for h in held} == REFUSED
    assert all(h.reason and h.batch_id == batch.id for h in held)
    by_row = {h.source_row: h for h in held}
    assert by_row[4].value == "Atlantis" and by_row[4].raw_row["prs_Citizenship"] == "Atlantis"
    assert by_row[14].value == FORMULA  # stored as written; escaped only on the way out
    assert by_row[7].raw_row is None and by_row[8].raw_row is None  # unreadable rows: the reason says why
    huge = by_row[9]
    assert huge.value is None or len(huge.value) <= 1000
    assert len(json.dumps(huge.raw_row)) < 100_000  # the 10 MB value is not copied whole into quarantine
    # The report shows the formula escaped, and withholds nothing it should show.
    formula = next(p for p in report.problems if p.row == 14)
    assert formula.value == "'" + FORMULA


def test_bad_rows_on_the_command_line_and_report_json(store: Store, org: str, tmp_path: Path) -> None:
    path = _row_file(tmp_path)
    report = tmp_path / "report.json"
    out = cli(store.url, "ingest", str(path), "--org", org, "--report-json", str(report), cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert type(doc["accepted"]) is int and type(doc["rejected"]) is int
    assert (doc["accepted"], doc["rejected"]) == (len(ACCEPTED_ROWS), len(REFUSED))
    assert {(r["row"], r["column"]) for r in doc["rejections"]} == REFUSED
    for rejection in doc["rejections"]:
        assert rejection["file"] == "mixed.csv"
        assert isinstance(rejection["row"], int) and rejection["reason"]
    assert len(report.read_bytes()) < 200_000  # the 10 MB value is not in the report
    # No value that a spreadsheet would run leaves unescaped, in the report or on the screen.
    assert not [s for s in strings(doc) if runs_as_formula(s)]
    assert "'" + FORMULA in [r["value"] for r in doc["rejections"]]
    assert re.search(r"(?<!')=HYPERLINK", out.stdout) is None
    assert snapshot(store)["case_record"] == len(ACCEPTED_ROWS)


def test_formula_on_screen_is_escaped(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    path = tmp_path / "formula.csv"
    path.write_text(csv_text([_row(prs_Citizenship=FORMULA)], header=ROW_HEADER), encoding="utf-8")
    out = cli(sqlite_store.url, "ingest", str(path), "--org", shelter, cwd=tmp_path)
    assert out.returncode == 1
    assert "row 2, column 'prs_Citizenship'" in out.stdout
    assert "'=HYPERLINK" in out.stdout  # shown, escaped ...
    assert re.search(r"(?<!')=HYPERLINK", out.stdout) is None  # ... and never bare


def test_formulas_are_escaped_in_every_export(store: Store, org: str, tmp_path: Path) -> None:
    """Accepted (hte_City) and refused (prs_Citizenship) formula values leave palermo escaped."""
    path = _row_file(tmp_path)
    assert cli(store.url, "ingest", str(path), "--org", org, cwd=tmp_path).returncode == 1
    cases = tmp_path / "cases.csv"
    assert cli(store.url, "export", "--out", str(cases), "--with-identifying", cwd=tmp_path).returncode == 0
    exported = list(csv.DictReader(io.StringIO(cases.read_text(encoding="utf-8"))))
    assert sorted(r["hte_city"] for r in exported) == sorted(["Bangkok", "Phnom Penh", "'" + FORMULA])
    refused = tmp_path / "refused.csv"
    assert cli(store.url, "rejected", "--out", str(refused), cwd=tmp_path).returncode == 0
    rows = list(csv.DictReader(io.StringIO(refused.read_text(encoding="utf-8"))))
    assert {(int(r["row"]), r["column"]) for r in rows} >= {(4, "prs_Citizenship"), (14, "prs_Citizenship")}
    assert "'" + FORMULA in [r["value"] for r in rows]
    for text in (cases.read_text(encoding="utf-8"), refused.read_text(encoding="utf-8")):
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not [c for c in cells if runs_as_formula(c)]
    shown = cli(store.url, "rejected", cwd=tmp_path)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    assert "'=HYPERLINK" in shown.stdout and re.search(r"(?<!')=HYPERLINK", shown.stdout) is None


def test_export_with_identifying_fields_and_a_personal_extra_column(
    sqlite_store: Store, shelter: str, tmp_path: Path
) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(csv_text([[*GOOD, FORMULA]], header=[*HEADER, "Notes"]), encoding="utf-8")
    assert ingest_file(sqlite_store, path, shelter).accepted == 1
    out = tmp_path / "out.csv"
    done = cli(sqlite_store.url, "export", "--out", str(out), "--with-identifying", cwd=tmp_path)
    assert "Traceback" not in done.stderr
    assert done.returncode == 0
    cells = [c for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))) for c in row]
    assert not [c for c in cells if runs_as_formula(c)]
    assert any("HYPERLINK" in c and c.startswith("{") for c in cells)  # kept, inside the personal extra JSON


def test_formula_like_file_and_column_names_are_escaped_in_csv_exports(
    sqlite_store: Store, shelter: str, tmp_path: Path
) -> None:
    path = tmp_path / "=1+2.csv"
    path.write_text(csv_text([_row(), _row(prs_Gender="X")], header=[*ROW_HEADER[:-1], "@cmd"]), encoding="utf-8")
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected) == (1, 1)
    cases, refused = tmp_path / "cases_out.csv", tmp_path / "refused_out.csv"
    export_cases(sqlite_store, cases)
    export_rejected(sqlite_store, refused)
    for out in (cases, refused):
        rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
        assert rows and {r.get("file_name") or r.get("file") for r in rows} == {"'=1+2.csv"}
        assert not [c for r in rows for c in r.values() if c and runs_as_formula(c)]


def test_every_formula_prefix_is_escaped_and_numbers_are_not(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    cities = ["=1+2", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\uff1dcmd", "-5", "+3.5", "Bangkok", "Chiang-Mai"]
    rows = [_row(hte_City=c) for c in cities]
    path = tmp_path / "cities.csv"
    path.write_text(csv_text(rows, header=ROW_HEADER), encoding="utf-8")
    report = ingest_file(sqlite_store, path, shelter)
    assert report.accepted == len(cities)
    out = tmp_path / "out.csv"
    assert export_cases(sqlite_store, out) == len(cities)
    got = [r["hte_city"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))]
    expected = ["'=1+2", "'+SUM(A1:A9)", "'-2+3", "'@SUM(A1)", "'\uff1dcmd", "-5", "+3.5", "Bangkok", "Chiang-Mai"]
    assert got == expected


def test_formula_in_an_xlsx_cell_is_kept_as_text_and_escaped_on_export(
    sqlite_store: Store, shelter: str, tmp_path: Path
) -> None:
    path = tmp_path / "formula.xlsx"
    _xlsx(path, {"Cases": [ROW_HEADER, [2019, "F", "TH", "18--20", "Adult", "ForcedLabour", "Ana", None, 19, FORMULA]]})
    report = ingest_file(sqlite_store, path, shelter)
    assert report.accepted == 1
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(case_record.c.hte_city)).scalar_one() == FORMULA
    out = tmp_path / "out.csv"
    export_cases(sqlite_store, out)
    assert [r["hte_city"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))] == ["'" + FORMULA]
    refused = tmp_path / "refused.csv"
    assert export_rejected(sqlite_store, refused) == 0


def _without_dimension(path: Path) -> None:
    """Drop the sheets' <dimension> element, as some tools write them: rows are then read as long as they are."""
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for part, data in parts.items():
            if part.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            archive.writestr(part, data)


def test_value_right_of_the_xlsx_header_is_kept(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    """In a sized sheet, a value right of the header is a column of its own (column_N), kept as extra."""
    path = tmp_path / "ragged.xlsx"
    _xlsx(path, {"Cases": [HEADER, GOOD, [*GOOD, None, "stray note"], GOOD[:3], GOOD]})
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected) == (4, 0)
    assert report.unmapped_columns == ["column_9", "column_10"]
    with sqlite_store.engine.connect() as conn:
        extras = conn.execute(select(case_record.c.source_row, case_record.c.extra).order_by(case_record.c.source_row))
        assert [tuple(r) for r in extras] == [(2, None), (3, {"column_10": "stray note"}), (4, None), (5, None)]


def test_ragged_xlsx_row_is_quarantined(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    """In a sheet without dimension, a value right of the header's last column refuses that row only."""
    path = tmp_path / "ragged.xlsx"
    _xlsx(path, {"Cases": [HEADER, GOOD, [*GOOD, None, "stray note"], GOOD[:3], GOOD]})
    _without_dimension(path)
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected, report.rows_read) == (3, 1, 4)
    [problem] = report.problems
    assert (problem.row, problem.column) == (3, None)
    assert "has a value in column J, right of the header's last column H" in problem.reason
    with sqlite_store.engine.connect() as conn:
        rows = conn.execute(select(case_record.c.source_row).order_by(case_record.c.source_row))
        assert [r[0] for r in rows] == [2, 4, 5]
        assert tuple(conn.execute(select(quarantine.c.source_row, quarantine.c.column_name)).one()) == (3, None)


def test_json_rows_that_are_not_plain_objects_are_quarantined(
    sqlite_store: Store, shelter: str, tmp_path: Path
) -> None:
    good = dict(zip(HEADER, GOOD, strict=True))
    records: list[Any] = [good, 5, {**good, "prs_Gender": {"code": "F"}}, {**good, "prs_Citizenship": ["TH", "MM"]}]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    # a key named twice in one object would silently keep only its last value
    path.write_text(
        path.read_text(encoding="utf-8")[:-1] + ', {"prs_Gender": "F", "prs_Gender": "M"}]', encoding="utf-8"
    )
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected) == (2, 3)
    problems = {(p.row, p.column): p.reason for p in report.problems}
    assert set(problems) == {(2, None), (3, "prs_Gender"), (5, "prs_Gender")}
    assert "is a JSON number, not an object" in problems[(2, None)]
    assert "nested object" in problems[(3, "prs_Gender")]
    assert "names the key 'prs_Gender' twice" in problems[(5, "prs_Gender")]
    with sqlite_store.engine.connect() as conn:
        assert conn.execute(select(case_record.c.prs_citizenship).order_by(case_record.c.source_row)).all()[1][0] == (
            "MM;TH"
        )


def test_nul_character_in_a_json_value_is_quarantined(store: Store, org: str, tmp_path: Path) -> None:
    """JSON may spell a NUL character (\\u0000); PostgreSQL cannot store one in text, so the row is refused."""
    good = dict(zip(HEADER, GOOD, strict=True))
    records = [good, {**good, "prs_FirstName": "A\u0000B"}, {**good, "Programme": "x\u0000"}, good]
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    report = ingest_file(store, path, org)
    assert (report.accepted, report.rejected) == (2, 2)
    assert {(p.row, p.column) for p in report.problems} == {(2, "prs_FirstName"), (3, "Programme")}
    assert all("NUL character" in p.reason for p in report.problems)
    counts = snapshot(store)
    assert (counts["case_record"], counts["quarantine"]) == (2, 2)


def test_ndjson_with_broken_lines_and_a_10_mb_value(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    good = dict(zip(HEADER, GOOD, strict=True))
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({**good, "Programme": HUGE}),
        json.dumps(good),
    ]
    path = tmp_path / "cases.ndjson"
    path.write_text("\n".join(lines), encoding="utf-8")
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected) == (2, 3)
    assert {(p.row, p.column) for p in report.problems} == {(2, None), (3, None), (4, "Programme")}
    assert snapshot(sqlite_store)["quarantine"] == 3


def test_mapping_name_too_long_for_the_store_is_refused_cleanly(store: Store, org: str, tmp_path: Path) -> None:
    mapping = tmp_path / "long.yaml"
    mapping.write_text(
        "name: " + "shelter-layout-" * 10 + "\nfields:\n  cas_RegistrationYear: Year\n  prs_Gender: Sex\n",
        encoding="utf-8",
    )
    path = tmp_path / "cases.csv"
    path.write_text("Year,Sex\n2020,F\n", encoding="utf-8")
    before = snapshot(store)
    out = cli(store.url, "ingest", str(path), "--org", org, "--mapping", str(mapping), cwd=tmp_path)
    assert "Traceback" not in out.stderr
    assert out.returncode == 2 and "long.yaml" in flat(out.stdout + out.stderr)
    assert snapshot(store) == before


# --- re-ingestion and exit codes -------------------------------------------------------------------


def test_reingesting_the_same_file_is_a_no_op_that_says_so(store: Store, org: str, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(csv_text([GOOD, _row()[:8]]), encoding="utf-8")
    first = ingest_file(store, path, org)
    assert first.status == "stored"
    before = snapshot(store)
    again = ingest_file(store, path, org)
    assert (again.status, again.batch_id, again.accepted, again.rejected) == ("already-ingested", first.batch_id, 0, 0)
    renamed = tmp_path / "same_content_other_name.csv"
    renamed.write_bytes(path.read_bytes())
    assert ingest_file(store, renamed, org).status == "already-ingested"
    assert snapshot(store) == before
    add_organisation(store, "Other Shelter", "NGO", "KH")  # another organisation's copy is its own batch
    other = ingest_file(store, path, "Other Shelter")
    assert other.status == "stored" and other.batch_id != first.batch_id


def test_exit_codes_and_reingestion_on_the_command_line(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text(csv_text([GOOD]), encoding="utf-8")
    first = cli(sqlite_store.url, "ingest", str(clean), "--org", shelter, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "stored" in first.stdout
    before = snapshot(sqlite_store)
    report = tmp_path / "again.json"
    again = cli(sqlite_store.url, "ingest", str(clean), "--org", shelter, "--report-json", str(report), cwd=tmp_path)
    assert again.returncode == 0
    assert "clean.csv: already ingested by this organisation" in flat(again.stdout)
    assert "nothing to do" in again.stdout
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert (doc["accepted"], doc["rejected"], doc["files"][0]["status"]) == (0, 0, "already-ingested")
    assert snapshot(sqlite_store) == before
    refused = tmp_path / "refused.csv"
    refused.write_text(csv_text([GOOD, [*GOOD[:2], "Atlantis", *GOOD[3:]]]), encoding="utf-8")
    partly = cli(sqlite_store.url, "ingest", str(refused), "--org", shelter, cwd=tmp_path)
    assert partly.returncode == 1
    assert "row 3, column 'prs_Citizenship'" in flat(partly.stdout)
