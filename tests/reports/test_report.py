"""The threat-assessment report: every format written, nothing below k published anywhere, no cell recoverable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from rich.progress import Progress

from palermo.analyse.cases import CaseFilter, read_cases
from palermo.demo.run import run_demo
from palermo.publish.attack import audit_recoverability
from palermo.reports.assessment import Assessment, build_assessment
from palermo.reports.write import write_report
from palermo.store.db import Store, open_store

K = 11


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder / 'palermo.db'}"
    console = Console(file=io.StringIO())
    run_demo(url, cases=4_000, fresh=True, console=console, progress=lambda: Progress(console=console),
             report_formats=())
    store = open_store(url)
    yield store
    store.engine.dispose()


@pytest.fixture(scope="module")
def assessment(demo_store: Store) -> Assessment:
    return build_assessment(demo_store, k=K)


def test_every_format_is_written(assessment: Assessment, tmp_path: Path) -> None:
    written = write_report(assessment, tmp_path)
    names = {p.name for p in written}
    assert {"report.html", "report.pdf", "report.json"} <= names
    assert len([p for p in written if p.suffix == ".csv"]) == len(assessment.tables())
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for section in assessment.sections:
        assert section.title in html
    assert html.count("<svg") >= 8  # trends, routes flow, map, bars, heatmaps inline
    assert "http://" not in html.replace("http://www.w3.org", "")  # self-contained: no external resource
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_no_published_count_below_k(assessment: Assessment, tmp_path: Path) -> None:
    write_report(assessment, tmp_path, ("json", "csv"))
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    checked = 0
    for table in doc["tables"]:
        for row in table["rows"]:
            for column in table["counts"]:
                value = row[column]
                assert value is None or value == 0 or value >= K, (table["name"], row)
                checked += 1
        for margin in table["totals"]:
            for row in margin["rows"]:
                for column in table["counts"]:
                    assert row[column] is None or row[column] == 0 or row[column] >= K, (table["name"], row)
        csv_rows = list(csv.DictReader(io.StringIO((tmp_path / "tables" / f"{table['name']}.csv").read_text())))
        for row in csv_rows:
            for column in table["counts"]:
                assert row[column] == "" or int(row[column]) == 0 or int(row[column]) >= K
    assert checked > 100


def test_suppressed_cells_cannot_be_recovered(assessment: Assessment) -> None:
    attacked = 0
    for table in assessment.tables():
        if not table.counts or not table.dims:
            continue
        for found in audit_recoverability(table, assessment.totals.get(table.name, {}), k=K):
            attacked += 1
            assert not found.disclosed, (table.name, found)
    assert attacked > 0


def test_filters_narrow_the_report(demo_store: Store) -> None:
    europe = build_assessment(demo_store, CaseFilter(regions=("Europe",), first_year=2015), k=K)
    everything = build_assessment(demo_store, k=K)
    assert europe.cases_in_scope is not None and everything.cases_in_scope is not None
    assert 0 < europe.cases_in_scope < everything.cases_in_scope
    assert "Europe" in europe.scope and "2015" in europe.scope


def test_countries_of_exploitation_narrow_the_report(demo_store: Store) -> None:
    cases = read_cases(demo_store)
    thai = cases.filter(pl.col("vic_country_of_exploitation") == "TH").height
    narrowed = build_assessment(demo_store, CaseFilter(countries=("TH",), forms=("SexualExploitation",)), k=K)
    assert thai >= K and narrowed.cases_in_scope is not None and 0 < narrowed.cases_in_scope < thai
    assert "countries of exploitation: Thailand" in narrowed.scope
    assert "forms of exploitation: Sexual exploitation" in narrowed.scope
    assert build_assessment(demo_store, CaseFilter(countries=("TH",)), k=K).cases_in_scope == thai
