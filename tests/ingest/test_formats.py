"""Every file format palermo reads, end to end: real files in tmp_path, ingested into a real store.

CSV with sniffed delimiters and encodings (BOM, Windows-1252/Latin-1, UTF-16 with and without BOM,
old-Mac line ends), XLSX written by openpyxl (numbers, dates, booleans), JSON lists, NDJSON, values
spread over several lines; both the HTCDS field-name layout (recognised from the header) and a custom
layout read through a YAML mapping file. Each test checks the typed values that reach the store.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Table, select
from tests.support import HEADER

from palermo.ingest.pipeline import ingest_file
from palermo.ingest.report import FileReport
from palermo.standard.crosswalk import load_crosswalk
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, ingest_batch, person_identity, quarantine

ROWS = [
    ["2019", "Feminine", "Côte d'Ivoire", "18--20", "Adult", "ForcedLabour", "Zoé", "2000-01-02"],
    ["2020", "M", "THA", "9--17", "Minor", "Sexual exploitation;Forced labour", "Somchaï", "12/03/2008"],
    ["2021", "female", "Viet Nam", "30--38", "Adult", "forced labour", "N’Guessan", ""],
]
CASES = [
    (2, 2019, "Feminine", "CI", "18--20", "Adult", "ForcedLabour"),
    (3, 2020, "Masculine", "TH", "9--17", "Minor", "ForcedLabour;SexualExploitation"),
    (4, 2021, "Feminine", "VN", "30--38", "Adult", "ForcedLabour"),
]
"""What ROWS become in case_record: source row, year, gender, citizenship, age band, majority, exploitation."""
CASE_COLUMNS = (
    "source_row",
    "cas_registration_year",
    "prs_gender",
    "prs_citizenship",
    "vic_age_band",
    "vic_majority_status",
    "vic_type_of_exploitation",
)
IDENTITIES = [(2, "Zoé", date(2000, 1, 2)), (3, "Somchaï", date(2008, 3, 12)), (4, "N’Guessan", None)]


@pytest.fixture
def shelter(sqlite_store: Store) -> str:
    """A registered organisation in the SQLite store."""
    add_organisation(sqlite_store, "Test Shelter", "NGO", "TH")
    return "Test Shelter"


def csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n", header: list[str] = HEADER) -> str:
    """The rows as CSV text, quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def stored(store: Store, table: Table, columns: tuple[str, ...], batch_id: int | None) -> list[tuple[Any, ...]]:
    """The rows of ``table`` in one batch, as tuples of ``columns``, in source-row order."""
    query = select(*(table.c[c] for c in columns)).where(table.c.batch_id == batch_id).order_by(table.c.source_row)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def count(store: Store, table: Table) -> int:
    """Rows in ``table``."""
    with store.engine.connect() as conn:
        return len(conn.execute(select(table.c.id)).all())


def check_standard_rows(store: Store, report: FileReport, rows: list[tuple[Any, ...]] = CASES) -> None:
    """ROWS were stored, typed and coded, with the identifying fields in their own table."""
    assert report.status == "stored", report
    assert (report.accepted, report.rejected, report.rows_read) == (len(rows), 0, len(rows))
    assert report.layout == "htcds"
    assert stored(store, case_record, CASE_COLUMNS, report.batch_id) == rows
    identities = stored(store, person_identity, ("source_row", "prs_first_name", "prs_birthdate"), report.batch_id)
    assert identities == IDENTITIES[: len(rows)]
    assert count(store, quarantine) == 0


# --- CSV: delimiters, encodings, line ends ----------------------------------------------------------


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "latin-1":
        text = text.replace("’", "'")
    if encoding == "utf-16-be+bom":
        return ("\ufeff" + text).encode("utf-16-be")
    return text.encode(encoding)


CSV_VARIANTS = {
    # name: (delimiter, line end, encoding, file name, encoding reported)
    "comma-utf8": (",", "\n", "utf-8", "cases.csv", "utf-8"),
    "semicolon-crlf": (";", "\r\n", "utf-8", "cases.csv", "utf-8"),
    "tab": ("\t", "\n", "utf-8", "cases.tsv", "utf-8"),
    "pipe": ("|", "\n", "utf-8", "cases.txt", "utf-8"),
    "utf8-bom": (",", "\r\n", "utf-8-sig", "cases.csv", "utf-8-sig"),
    "windows-1252-semicolon": (";", "\r\n", "cp1252", "cases.csv", "cp1252"),
    "latin-1": (",", "\n", "latin-1", "cases.csv", "cp1252"),
    "utf-16-tab": ("\t", "\r\n", "utf-16", "cases.txt", "utf-16"),
    "utf-16-be-bom": (",", "\n", "utf-16-be+bom", "cases.csv", "utf-16"),
    "utf-16-le-no-bom": ("\t", "\n", "utf-16-le", "cases.txt", "utf-16-le"),
    "old-mac-cr": (",", "\r", "utf-8", "cases.csv", "utf-8"),
}


@pytest.mark.parametrize("variant", sorted(CSV_VARIANTS))
def test_csv_delimiters_and_encodings(sqlite_store: Store, shelter: str, tmp_path: Path, variant: str) -> None:
    delimiter, newline, encoding, name, reported = CSV_VARIANTS[variant]
    path = tmp_path / name
    path.write_bytes(_encode(csv_text(ROWS, delimiter, newline), encoding))
    report = ingest_file(sqlite_store, path, shelter)
    assert report.format == "csv"
    assert report.encoding == reported
    expected_names = IDENTITIES if encoding != "latin-1" else [*IDENTITIES[:2], (4, "N'Guessan", None)]
    assert report.status == "stored" and report.rejected == 0, report.problems
    assert stored(sqlite_store, case_record, CASE_COLUMNS, report.batch_id) == CASES
    names = stored(sqlite_store, person_identity, ("source_row", "prs_first_name", "prs_birthdate"), report.batch_id)
    assert names == expected_names


def test_windows_1252_country_name_is_read_as_written(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    """A short Windows-1252 file (where detectors guess badly) keeps "Côte d'Ivoire", not "C¶te d'Ivoire"."""
    path = tmp_path / "one.csv"
    path.write_bytes("cas_RegistrationYear;prs_Gender;prs_Citizenship\n2022;F;Côte d'Ivoire\n".encode("cp1252"))
    report = ingest_file(sqlite_store, path, shelter)
    assert report.rejected == 0, report.problems
    assert stored(sqlite_store, case_record, ("prs_citizenship",), report.batch_id) == [("CI",)]


def test_cyrillic_legacy_encoding_is_not_taken_for_windows_1252(
    sqlite_store: Store, shelter: str, tmp_path: Path
) -> None:
    """Text in another script is not forced into Windows-1252 (which would give "Ðîññèÿ")."""
    notes = ["Россия, Москва, вокзал", "Украина, Киев, граница", "Молдова, Кишинёв, рынок"] * 20
    rows = [["2019", "F", "UA", n] for n in notes]
    path = tmp_path / "cyrillic.csv"
    header = ["cas_RegistrationYear", "prs_Gender", "prs_Citizenship", "Programme"]
    path.write_bytes(csv_text(rows, header=header).encode("cp1251"))
    report = ingest_file(sqlite_store, path, shelter)
    assert report.encoding != "cp1252"
    extras = stored(sqlite_store, case_record, ("extra",), report.batch_id)
    assert extras[0] == ({"Programme": "Россия, Москва, вокзал"},)


def test_multi_line_quoted_values_and_record_row_numbers(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    """Quoted values may hold newlines, delimiters and quotes; row numbers count records, not lines."""
    header = ["cas_RegistrationYear", "prs_Gender", "prs_Citizenship", "vic_AgeBand", "Programme"]
    note = 'met at the border;\nsaid "help",\r\nthen left'
    rows = [
        ["2019", "F", "TH", "18--20", note],
        ["2020", "M", "KH", "21--23", "one\ntwo\nthree"],
        ["2020", "M", "Atlantis", "21--23", "bad country"],
        ["2021", "F", "MM", "30--38", ""],
    ]
    path = tmp_path / "notes.csv"
    path.write_text(csv_text(rows, header=header), encoding="utf-8", newline="")
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected) == (3, 1)
    assert [(p.row, p.column, p.value) for p in report.problems] == [(4, "prs_Citizenship", "Atlantis")]
    got = stored(sqlite_store, case_record, ("source_row", "prs_citizenship", "extra"), report.batch_id)
    assert got == [(2, "TH", {"Programme": note}), (3, "KH", {"Programme": "one\ntwo\nthree"}), (5, "MM", None)]
    held = stored(sqlite_store, quarantine, ("source_row", "column_name", "value"), report.batch_id)
    assert held == [(4, "prs_Citizenship", "Atlantis")]


def test_countries_and_dates_in_every_common_form(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    header = ["cas_RegistrationYear", "prs_Gender", "prs_Citizenship", "vic_CountryOfExploitation", "prs_Birthdate"]
    rows = [
        ["2020", "F", "Viet Nam", "Thailand", "02/01/2000"],
        ["2020", "F", "VNM", "tha", "02.01.2000"],
        ["2020", "F", "vn", "TH", "2000-01-02T00:00:00"],
        ["2020", "F", "Ivory Coast", "CIV", "20000102"],
        ["2020", "F", "TH;MM", "Myanmar", "2000/01/02"],
        ["2020", "F", "Thailand, Burma", "Côte d’Ivoire", "02-01-2000"],
    ]
    path = tmp_path / "forms.csv"
    path.write_text(csv_text(rows, header=header), encoding="utf-8")
    report = ingest_file(sqlite_store, path, shelter)
    assert report.rejected == 0, report.problems
    got = stored(
        sqlite_store, case_record, ("source_row", "prs_citizenship", "vic_country_of_exploitation"), report.batch_id
    )
    assert got == [
        (2, "VN", "TH"),
        (3, "VN", "TH"),
        (4, "VN", "TH"),
        (5, "CI", "CI"),
        (6, "MM;TH", "MM"),
        (7, "MM;TH", "CI"),
    ]
    births = stored(sqlite_store, person_identity, ("source_row", "prs_birthdate"), report.batch_id)
    assert births == [(row, date(2000, 1, 2)) for row in range(2, 8)]


# --- XLSX ------------------------------------------------------------------------------------------


def test_xlsx_numbers_dates_and_booleans(store: Store, org: str, tmp_path: Path) -> None:
    """Cells typed by the spreadsheet (numbers, dates, booleans) are stored with the standard's types."""
    book = openpyxl.Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Read me"  # an empty sheet beside the data: not a second data sheet
    sheet = book.create_sheet("Cases")
    sheet.append([*HEADER, "vic_AgeWhenTrafficked", "vic_MajorityStatusAtExploit", "con_Consent"])
    sheet.append(
        [
            2019,
            "Feminine",
            "Côte d'Ivoire",
            "18--20",
            "Adult",
            "ForcedLabour",
            "Zoé",
            datetime(2000, 1, 2),
            19,
            "Adult",
            True,
        ]
    )
    sheet.append(
        [
            2020.0,
            "M",
            "THA",
            "9--17",
            "Minor",
            "Sexual exploitation;Forced labour",
            "Somchaï",
            date(2008, 3, 12),
            11.0,
            "Minor",
            False,
        ]
    )
    sheet.append([])  # a blank row is skipped, and the next keeps its spreadsheet row number
    sheet.append([2021, "female", "Viet Nam", "30--38", "Adult", "forced labour", "N’Guessan", None, None, None, None])
    path = tmp_path / "cases.xlsx"
    book.save(path)
    report = ingest_file(store, path, org)
    assert (report.format, report.sheet, report.status) == ("xlsx", "Cases", "stored")
    assert (report.accepted, report.rejected) == (3, 0), report.problems
    columns = (*CASE_COLUMNS, "vic_age_when_trafficked", "vic_majority_status_at_exploit", "con_consent")
    got = stored(store, case_record, columns, report.batch_id)
    assert got == [
        (*CASES[0], 19, "Adult", True),
        (*CASES[1], 11, "Minor", False),
        (5, *CASES[2][1:], None, None, None),
    ]
    assert all(isinstance(r[1], int) and isinstance(r[7] or 0, int) for r in got)
    identities = stored(store, person_identity, ("source_row", "prs_first_name", "prs_birthdate"), report.batch_id)
    assert identities == [IDENTITIES[0], IDENTITIES[1], (5, "N’Guessan", None)]


def test_xlsx_sheet_chosen_by_name(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "2023"
    first.append(HEADER)
    first.append([2023, "F", "PH", "18--20", "Adult", "ForcedLabour", "Ana", None])
    second = book.create_sheet("2024")
    second.append(HEADER)
    second.append([2024, "M", "KH", "21--23", "Adult", "ForcedLabour", "Dara", None])
    path = tmp_path / "two_years.xlsx"
    book.save(path)
    report = ingest_file(sqlite_store, path, shelter, sheet="2024")
    assert report.sheet == "2024"
    assert stored(sqlite_store, case_record, ("cas_registration_year", "prs_citizenship"), report.batch_id) == [
        (2024, "KH")
    ]


# --- JSON and NDJSON -------------------------------------------------------------------------------

JSON_RECORDS: list[dict[str, Any]] = [
    {
        "cas_RegistrationYear": 2019,
        "prs_Gender": "Feminine",
        "prs_Citizenship": "Côte d'Ivoire",
        "vic_AgeBand": "18--20",
        "vic_MajorityStatus": "Adult",
        "vic_TypeOfExploitation": ["ForcedLabour"],
        "prs_FirstName": "Zoé",
        "prs_Birthdate": "2000-01-02",
    },
    {
        "cas_RegistrationYear": 2020.0,
        "prs_Gender": "M",
        "prs_Citizenship": "THA",
        "vic_AgeBand": "9--17",
        "vic_MajorityStatus": "Minor",
        "vic_TypeOfExploitation": ["Sexual exploitation", "Forced labour"],
        "prs_FirstName": "Somchaï",
        "prs_Birthdate": "12/03/2008",
    },
    {
        "cas_RegistrationYear": "2021",
        "prs_Gender": "female",
        "prs_Citizenship": "Viet Nam",
        "vic_AgeBand": "30--38",
        "vic_MajorityStatus": "Adult",
        "vic_TypeOfExploitation": "forced labour",
        "prs_FirstName": "N’Guessan",
        "prs_Birthdate": None,
    },
]
"""ROWS as JSON records: numbers, lists for multi-select fields, null; rows numbered from 1."""
JSON_CASES = [(row - 1, *rest) for row, *rest in CASES]
JSON_IDENTITIES = [(row - 1, *rest) for row, *rest in IDENTITIES]


def test_json_list_of_objects(store: Store, org: str, tmp_path: Path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(JSON_RECORDS, indent=2, ensure_ascii=False), encoding="utf-8")
    report = ingest_file(store, path, org)
    assert (report.format, report.status, report.accepted, report.rejected) == ("json", "stored", 3, 0)
    assert stored(store, case_record, CASE_COLUMNS, report.batch_id) == JSON_CASES
    identities = stored(store, person_identity, ("source_row", "prs_first_name", "prs_birthdate"), report.batch_id)
    assert identities == JSON_IDENTITIES


NDJSON_WRITERS: dict[str, Callable[[list[dict[str, Any]]], bytes]] = {
    "cases.ndjson": lambda recs: "".join(json.dumps(r) + "\n" for r in recs).encode(),
    "cases.jsonl": lambda recs: "\r\n".join(json.dumps(r, ensure_ascii=False) for r in recs).encode(),
    # One object per line in a file named .json is NDJSON too.
    "cases.json": lambda recs: "".join(json.dumps(r) + "\n" for r in recs).encode(),
    "utf16.ndjson": lambda recs: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs).encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(NDJSON_WRITERS))
def test_ndjson(sqlite_store: Store, shelter: str, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(NDJSON_WRITERS[name](JSON_RECORDS))
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.format, report.accepted, report.rejected) == ("ndjson", 3, 0), report.problems
    assert stored(sqlite_store, case_record, CASE_COLUMNS, report.batch_id) == JSON_CASES


def test_ndjson_blank_lines_keep_line_numbers(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    lines = [
        json.dumps(JSON_RECORDS[0]),
        "",
        json.dumps({**JSON_RECORDS[1], "prs_Citizenship": "Atlantis"}),
        "",
        json.dumps(JSON_RECORDS[2]),
    ]
    path = tmp_path / "gaps.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = ingest_file(sqlite_store, path, shelter)
    assert (report.accepted, report.rejected) == (2, 1)
    assert [(p.row, p.column) for p in report.problems] == [(3, "prs_Citizenship")]
    assert [r[0] for r in stored(sqlite_store, case_record, ("source_row",), report.batch_id)] == [1, 5]


# --- a custom layout, through a YAML mapping file --------------------------------------------------

MAPPING = """\
name: shelter-2024
title: Our shelter's case sheet
missing: ["", "-99", "unknown", "n/a"]
defaults:
  vic_CountryOfExploitation: TH
fields:
  cas_RegistrationYear: Year
  prs_Gender:
    column: Sex
    values: {F: Feminine, M: Masculine, "?": null}
  prs_Citizenship: Nationality
  vic_AgeBand: Age group
  vic_TypeOfExploitation:
    column: Exploitation
    separator: ","
    values: {both: [ForcedLabour, SexualExploitation], labour: ForcedLabour, sex: SexualExploitation}
  vic_MethodsOfControl:
    flags:
      debt: DebtBondage
      threats: PhysicalThreats
  prs_Birthdate: {column: DOB, date_format: "%d/%m/%Y"}
  prs_FirstName: Name
"""
CUSTOM_CSV = """\
Year,Sex,Nationality,Age group,Exploitation,debt,threats,DOB,Name,Programme
2019,F,Philippines,18--20,both,yes,no,02/01/2000,Maria,first contact
2020,?,KHM,21--23,labour,0,1,-99,Dara,
2021,M,unknown,30--38,"sex, labour",,,15/07/1990,Tom,"multi, note"
2022,M,VN,30--38,labour,maybe,0,1990-07-15,Minh,
"""


def test_custom_layout_with_mapping_file(store: Store, org: str, tmp_path: Path) -> None:
    mapping = tmp_path / "shelter.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "shelter.csv"
    path.write_text(CUSTOM_CSV, encoding="utf-8")
    report = ingest_file(store, path, org, crosswalk=load_crosswalk(mapping))
    assert (report.layout, report.accepted, report.rejected) == ("shelter-2024", 3, 1)
    assert report.unmapped_columns == ["Programme"]
    # Row 5: a flag that is neither yes nor no, and a date not in the mapping's format.
    assert {(p.row, p.column) for p in report.problems} == {(5, "debt"), (5, "DOB")}
    columns = (
        "source_row",
        "cas_registration_year",
        "prs_gender",
        "prs_citizenship",
        "vic_age_band",
        "vic_type_of_exploitation",
        "vic_methods_of_control",
        "extra",
    )
    assert stored(store, case_record, columns, report.batch_id) == [
        (
            2,
            2019,
            "Feminine",
            "PH",
            "18--20",
            "ForcedLabour;SexualExploitation",
            "DebtBondage",
            {"Programme": "first contact"},
        ),
        (3, 2020, None, "KH", "21--23", "ForcedLabour", "PhysicalThreats", None),
        (4, 2021, "Masculine", None, "30--38", "ForcedLabour;SexualExploitation", None, {"Programme": "multi, note"}),
    ]
    identities = stored(store, person_identity, ("source_row", "prs_first_name", "prs_birthdate"), report.batch_id)
    assert identities == [(2, "Maria", date(2000, 1, 2)), (3, "Dara", None), (4, "Tom", date(1990, 7, 15))]
    with store.engine.connect() as conn:
        batch = conn.execute(select(ingest_batch.c.layout, ingest_batch.c.rows_read)).one()
    assert tuple(batch) == ("shelter-2024", 4)


def test_custom_layout_from_xlsx_and_json_gives_the_same_cases(
    sqlite_store: Store, shelter: str, tmp_path: Path
) -> None:
    """The same layout in CSV, XLSX and JSON stores the same values (a mapping is format-independent)."""
    mapping = tmp_path / "shelter.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    crosswalk = load_crosswalk(mapping)
    rows = list(csv.reader(io.StringIO(CUSTOM_CSV)))
    header, body = rows[0], rows[1:4]
    (tmp_path / "a.csv").write_text(csv_text(body, header=header), encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in body:
        sheet.append([int(v) if v.isdigit() else (v or None) for v in row])
    book.save(tmp_path / "b.xlsx")
    records = [{k: v for k, v in zip(header, row, strict=True) if v} for row in body]
    (tmp_path / "c.json").write_text(json.dumps(records), encoding="utf-8")
    columns = (
        "cas_registration_year",
        "prs_gender",
        "prs_citizenship",
        "vic_type_of_exploitation",
        "vic_methods_of_control",
        "extra",
    )
    results = []
    for name in ("a.csv", "b.xlsx", "c.json"):
        report = ingest_file(sqlite_store, tmp_path / name, shelter, crosswalk=crosswalk)
        assert (report.accepted, report.rejected) == (3, 0), (name, report.problems)
        results.append(stored(sqlite_store, case_record, columns, report.batch_id))
    assert results[0] == results[1] == results[2]
    assert results[0][0] == (
        2019,
        "Feminine",
        "PH",
        "ForcedLabour;SexualExploitation",
        "DebtBondage",
        {"Programme": "first contact"},
    )


def test_empty_cells_are_missing_whatever_the_mapping_lists(sqlite_store: Store, shelter: str, tmp_path: Path) -> None:
    mapping = tmp_path / "docstring.yaml"
    mapping.write_text(MAPPING.replace('missing: ["", "-99",', 'missing: ["-99",'), encoding="utf-8")
    path = tmp_path / "blanks.csv"
    path.write_text(
        "Year,Sex,Nationality,Age group,Exploitation,debt,threats,DOB,Name\n2021,M,VN,30--38,labour,,,,\n",
        encoding="utf-8",
    )
    report = ingest_file(sqlite_store, path, shelter, crosswalk=load_crosswalk(mapping))
    assert (report.accepted, report.rejected) == (1, 0), report.problems
    got = stored(sqlite_store, case_record, ("vic_methods_of_control", "prs_citizenship"), report.batch_id)
    assert got == [(None, "VN")]
    assert count(sqlite_store, person_identity) == 0  # an empty name is no name


def test_mapping_default_fills_a_field_the_file_lacks(store: Store, org: str, tmp_path: Path) -> None:
    mapping = tmp_path / "shelter.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "shelter.csv"
    path.write_text(CUSTOM_CSV, encoding="utf-8")
    report = ingest_file(store, path, org, crosswalk=load_crosswalk(mapping))
    got = stored(store, case_record, ("source_row", "vic_country_of_exploitation"), report.batch_id)
    assert got == [(2, "TH"), (3, "TH"), (4, "TH")]
