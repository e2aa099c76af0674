"""The demo dataset: reproducible bytes, official layouts, valid mapping, linkage truth, planted bad rows."""

from __future__ import annotations

import csv
import json
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pycountry
import pytest
from tests.support import shared

from palermo.demo.bad import CTDC_BAD, CUSTOM_BAD, HTCDS_BAD
from palermo.demo.ctdc import CTDC_COLUMNS, ctdc_frame, write_ctdc_csv
from palermo.demo.generate import (
    BAD_ROWS_FILE,
    ORGANISATIONS,
    TRUTH_FILE,
    DemoFile,
    Layout,
    write_demo_files,
)
from palermo.standard import Code, load_standard
from palermo.standard.crosswalk import load_crosswalk
from palermo.standard.extensions import AGE_BANDS, MINOR_BANDS

N_CASES = 4000
SEED = 7
Cells = dict[int, dict[str, object]]
"""A file read back: source row number -> column -> value."""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[DemoFile]]:
    out = tmp_path_factory.mktemp("demo")
    return out, write_demo_files(out, n_cases=N_CASES, seed=SEED)


def _file(files: list[DemoFile], layout: Layout) -> DemoFile:
    return next(f for f in files if f.layout == layout)


def read_cells(f: DemoFile) -> Cells:
    """Every record of a demo file by its source row number, as the truth and bad-row lists count rows."""
    if f.layout == Layout.HTCDS_XLSX:
        wb = openpyxl.load_workbook(f.path, read_only=True)
        rows = list(wb["Sheet1"].iter_rows(values_only=True))
        wb.close()
        header = rows[0]
        return {n: {h: v for h, v in zip(header, row, strict=False) if h}
                for n, row in enumerate(rows[2:], start=3)}
    if f.layout == Layout.CUSTOM_JSON:
        return dict(enumerate(json.loads(f.path.read_text(encoding="utf-8")), start=1))
    with f.path.open(encoding="utf-8-sig", newline="") as fh:
        return dict(enumerate(csv.DictReader(fh), start=2))


def _norm(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _bad_rows(out: Path) -> list[dict[str, str]]:
    with (out / BAD_ROWS_FILE).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_same_seed_same_bytes_other_seed_other_data(demo: tuple[Path, list[DemoFile]], tmp_path: Path) -> None:
    out, _ = demo
    again = write_demo_files(tmp_path / "again", n_cases=N_CASES, seed=SEED)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(p.name for p in (tmp_path / "again").iterdir())
    for name in names:
        assert (out / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    other = write_demo_files(tmp_path / "other", n_cases=N_CASES, seed=SEED + 1)
    for a, b in zip(again, other, strict=True):
        assert a.path.read_bytes() != b.path.read_bytes()


def test_organisations_and_files(demo: tuple[Path, list[DemoFile]]) -> None:
    _, files = demo
    org_types = {c.name for c in load_standard().field("org_Type").codes}
    assert len(ORGANISATIONS) == 5
    assert len({o.type for o in ORGANISATIONS}) == 5 and {o.type for o in ORGANISATIONS} <= org_types
    assert len({o.country for o in ORGANISATIONS}) == 5
    assert all(pycountry.countries.get(alpha_2=o.country) for o in ORGANISATIONS)
    assert {o.layout for o in ORGANISATIONS} == set(Layout)
    assert [f.organisation for f in files] == [o.name for o in ORGANISATIONS]
    assert sum(f.rows for f in files) == N_CASES
    for f in files:
        assert f.path.exists() and len(read_cells(f)) == f.rows
        assert (f.mapping is None) == (f.layout in (Layout.CTDC_CSV, Layout.HTCDS_XLSX))


def test_ctdc_header_is_the_official_dictionary(demo: tuple[Path, list[DemoFile]]) -> None:
    book = openpyxl.load_workbook(shared("ctdc/CTDC Global Dataset DATA DICTIONARY version 15082018.xlsx"),
                                  read_only=True)
    official = [str(row[0]).strip() for row in book["Main"].iter_rows(min_row=2, values_only=True) if row[0]]
    book.close()
    _, files = demo
    header = _file(files, Layout.CTDC_CSV).path.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == official == list(CTDC_COLUMNS)


def test_ctdc_coding(demo: tuple[Path, list[DemoFile]]) -> None:
    out, files = demo
    f = _file(files, Layout.CTDC_CSV)
    planted = {int(b["row"]) - 2 for b in _bad_rows(out) if b["file"] == f.path.name}
    frame = pl.read_csv(f.path, infer_schema_length=0).with_row_index()
    clean = frame.filter(~pl.col("index").is_in(list(planted)))
    flags = [c for c in CTDC_COLUMNS if c.startswith(("meansOfControl", "is", "typeOf", "recruiterRelation"))
             and not c.endswith("Concatenated")]
    for column in flags:
        assert set(clean[column].unique()) <= {"0", "1", "-99"}, column
    assert set(clean["ageBroad"].unique()) <= {*AGE_BANDS, "-99", "Unknown"}
    for column in ("citizenship", "CountryOfExploitation"):
        codes = set(clean[column].unique()) - {"-99", "ZZ"}
        assert all(pycountry.countries.get(alpha_2=c) for c in codes), column
    years = [int(y) for y in clean["yearOfRegistration"]]
    assert min(years) >= 2002 and max(years) <= 2024
    assert sum(y >= 2016 for y in years) > sum(y < 2010 for y in years)  # growth
    minors = clean.filter(pl.col("ageBroad").is_in(list(MINOR_BANDS)))
    assert set(minors["majorityStatus"].unique()) <= {"Minor"}
    labour = clean.filter(pl.col("isForcedLabour") == "1")
    assert (labour["typeOfLabourConcatenated"] != "-99").all()
    known_gender = clean.filter(pl.col("gender").is_in(["Female", "Male"]))["gender"]
    assert 0.6 < (known_gender == "Female").mean() < 0.8  # type: ignore[operator]
    known_age = clean.filter(pl.col("ageBroad").is_in(list(AGE_BANDS)))["ageBroad"]
    assert 0.1 < known_age.is_in(list(MINOR_BANDS)).mean() < 0.3  # type: ignore[operator]
    kinds = Counter(clean["typeOfExploitConcatenated"])
    assert {k for k, _ in kinds.most_common(3)} >= {"Forced labour", "Sexual exploitation"}


def test_htcds_header_is_the_template(demo: tuple[Path, list[DemoFile]]) -> None:
    book = openpyxl.load_workbook(shared("htcds/HTCDS Excel Spreadsheet v2.0.xlsx"), read_only=True)
    template = list(book["Sheet1"].iter_rows(min_row=1, max_row=2, values_only=True))
    book.close()
    _, files = demo
    for f in (x for x in files if x.layout == Layout.HTCDS_XLSX):
        mine = openpyxl.load_workbook(f.path, read_only=True)
        assert mine.sheetnames == ["Sheet1"]
        assert list(mine["Sheet1"].iter_rows(min_row=1, max_row=2, values_only=True)) == template
        mine.close()


def test_htcds_values_are_code_names(demo: tuple[Path, list[DemoFile]]) -> None:
    out, files = demo
    std = load_standard()
    bad = {(b["file"], int(b["row"])) for b in _bad_rows(out)}
    for f in (x for x in files if x.layout == Layout.HTCDS_XLSX):
        for number, row in read_cells(f).items():
            if (f.path.name, number) in bad:
                continue
            for column, value in row.items():
                field = std.field(str(column))
                if value is not None and field.codes:
                    assert set(str(value).split(";")) <= set(field.code_names), (column, value)
            assert row["prs_FirstName"] and isinstance(row["cas_IncomingReferralDate"], datetime)


def test_custom_mapping_validates_and_covers_the_values(demo: tuple[Path, list[DemoFile]]) -> None:
    out, files = demo
    std = load_standard()
    custom = [f for f in files if f.layout in (Layout.CUSTOM_CSV, Layout.CUSTOM_JSON)]
    assert len({f.mapping for f in custom}) == 1
    mapping = custom[0].mapping
    assert mapping is not None
    crosswalk = load_crosswalk(mapping)
    bad = {(b["file"], int(b["row"])) for b in _bad_rows(out)}
    for f in custom:
        cells = read_cells(f)
        columns = {c for row in cells.values() for c in row}
        for name, rule in crosswalk.fields.items():
            assert set(rule.source_columns()) <= columns, name
            field = std.field(name)
            if rule.column is None or not (field.codes or "Country" in name or "Citizenship" in name):
                continue
            for number, row in cells.items():
                value = row.get(rule.column)
                if value and (f.path.name, number) not in bad:
                    parts = str(value).split(rule.separator) if rule.separator else [str(value)]
                    assert all(_resolves(p, rule.values, field.codes) for p in parts), (f.path.name, number, value)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _resolves(value: str, values: Mapping[str, object], codes: tuple[Code, ...]) -> bool:
    """Whether the crosswalk turns ``value`` into a code: listed in its values, a code, or a country."""
    key = _squash(value)
    if key in {_squash(k) for k in values} | {_squash(c.name) for c in codes} | {_squash(c.label) for c in codes}:
        return True
    if codes:
        return False
    try:
        pycountry.countries.lookup(value.strip())
    except LookupError:
        return False
    return True


def test_truth_covers_every_identified_record_with_the_overlap(demo: tuple[Path, list[DemoFile]]) -> None:
    out, files = demo
    with (out / TRUTH_FILE).open(encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    by_file: dict[str, list[int]] = defaultdict(list)
    orgs_of: dict[str, set[str]] = defaultdict(set)
    for t in truth:
        by_file[t["file"]].append(int(t["row"]))
        orgs_of[t["person_id"]].add(t["organisation"])
    identified = [f for f in files if f.layout != Layout.CTDC_CSV]
    assert set(by_file) == {f.path.name for f in identified}
    for f in identified:
        assert sorted(by_file[f.path.name]) == sorted(read_cells(f))
    multi = sum(len(o) > 1 for o in orgs_of.values()) / len(orgs_of)
    assert 0.05 <= multi <= 0.12
    assert max(len(o) for o in orgs_of.values()) == 3


def test_identities_vary_in_script_and_spelling(demo: tuple[Path, list[DemoFile]]) -> None:
    out, files = demo
    scripts: Counter[str] = Counter()
    names: dict[tuple[str, int], str] = {}
    for f in files:
        if f.layout == Layout.CTDC_CSV:
            continue
        for number, row in read_cells(f).items():
            given = row.get("prs_FirstName") or row.get("Given names")
            family = row.get("prs_SecondName") or row.get("Family name") or ""
            names[f.path.name, number] = f"{given} {family}"
            for ch in f"{given}{family}":
                if ch.isalpha():
                    scripts[unicodedata.name(ch).split()[0]] += 1
    assert {"LATIN", "CYRILLIC"} <= set(scripts)
    assert {"THAI", "KHMER", "MYANMAR"} & set(scripts)
    assert {"ARABIC", "CJK"} & set(scripts)
    spellings: dict[str, list[str]] = defaultdict(list)
    with (out / TRUTH_FILE).open(encoding="utf-8") as fh:
        for t in csv.DictReader(fh):
            spellings[t["person_id"]].append(names[t["file"], int(t["row"])].casefold())
    seen_twice = [s for s in spellings.values() if len(s) > 1]
    differing = sum(len(set(s)) > 1 for s in seen_twice) / len(seen_twice)
    assert 0.3 < differing < 0.95  # the same person is often, not always, written differently


def test_bad_rows_list_what_was_planted(demo: tuple[Path, list[DemoFile]]) -> None:
    out, files = demo
    tables = {Layout.CTDC_CSV: CTDC_BAD, Layout.HTCDS_XLSX: HTCDS_BAD, Layout.CUSTOM_CSV: CUSTOM_BAD,
              Layout.CUSTOM_JSON: CUSTOM_BAD}
    listed = _bad_rows(out)
    for f in files:
        table = tables[f.layout]
        mine = [b for b in listed if b["file"] == f.path.name]
        assert len(mine) == max(len(table), round(0.002 * f.rows))
        assert {b["kind"] for b in mine} == set(table)
        cells = read_cells(f)
        for b in mine:
            column, value = table[b["kind"]][0]
            assert b["column"] == column
            assert _norm(cells[int(b["row"])][column]) == _norm(value), b
        for kind, changes in table.items():  # the bad value appears nowhere else
            column, value = changes[0]
            if kind != "minor_adult_mismatch":
                hits = [n for n, row in cells.items() if _norm(row.get(column)) == _norm(value)]
                assert sorted(hits) == sorted(int(b["row"]) for b in mine if b["kind"] == kind), kind


def test_write_ctdc_csv_is_ctdc_frame(tmp_path: Path) -> None:
    path = tmp_path / "ctdc.csv"
    write_ctdc_csv(path, 5000, seed=3)
    frame = ctdc_frame(5000, seed=3)
    assert frame.columns == list(CTDC_COLUMNS) and set(frame.dtypes) == {pl.String}
    assert path.read_bytes() == frame.write_csv().encode()


@pytest.mark.slow
def test_a_million_rows_in_reasonable_time() -> None:
    start = time.perf_counter()
    frame = ctdc_frame(1_000_000, seed=1)
    assert time.perf_counter() - start < 30  # a sanity bound; it takes a few seconds
    assert frame.shape == (1_000_000, len(CTDC_COLUMNS))
