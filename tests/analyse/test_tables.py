"""The report's tables: every count equals an independent pandas computation (tests/analyse/pandas_reference.py)
on the real CTDC file on both backends and on generated data with routes; the tables' shape and metadata."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.analyse.pandas_reference import (
    ROUTE_CASES,
    UNLABELLED,
    assert_all_equal,
    by_name,
    ctdc_frame,
    frame_of,
    store_frame,
)
from tests.support import shared

from palermo.analyse.cases import read_cases
from palermo.analyse.tables import assessment_tables
from palermo.ingest.pipeline import ingest_file
from palermo.standard import load_standard
from palermo.store.db import Store
from palermo.store.orgs import add_organisation


def test_every_count_equals_pandas_on_ctdc_final(store: Store) -> None:
    path = shared("ctdc/final.csv")
    add_organisation(store, "CTDC", "NGO", "US")
    assert ingest_file(store, path, "CTDC").accepted == 48_801
    tables = assessment_tables(read_cases(store))
    assert_all_equal(tables, ctdc_frame(path))


@pytest.mark.slow
def test_every_count_equals_pandas_on_generated_routes(sqlite_store: Store, tmp_path: Path) -> None:
    from palermo.demo.generate import ORGANISATIONS, write_demo_files
    from palermo.standard.crosswalk import load_crosswalk

    for org in ORGANISATIONS:
        add_organisation(sqlite_store, org.name, org.type, org.country)
    for demo in write_demo_files(tmp_path, n_cases=3_000, seed=3):
        crosswalk = load_crosswalk(demo.mapping) if demo.mapping is not None else None
        ingest_file(sqlite_store, demo.path, demo.organisation, crosswalk=crosswalk)
    cases = read_cases(sqlite_store)
    frame = store_frame(cases)
    assert frame["country_of_exploitation"].notna().sum() > 500  # the data do exercise the routes
    assert frame["form"].dropna().map(len).max() > 1  # and multi-select forms
    assert_all_equal(assessment_tables(cases), frame)
    earlier = int(frame["year"].max()) - 3
    assert_all_equal(assessment_tables(cases, latest_period=earlier), frame, earlier)


def test_tables_are_well_formed() -> None:
    tables = assessment_tables(frame_of(ROUTE_CASES))
    assert len({t.name for t in tables}) == len(tables)
    std = load_standard()
    assert {f for t in tables if t.name.startswith("coverage") for f in t.frame["field"]} <= {
        f.name for f in std.fields
    }
    for table in tables:
        columns = set(table.frame.columns)
        assert table.section and table.title and table.description, table.name
        assert set(table.dims) | set(table.counts) | set(table.figures) <= columns, table.name
        assert all(set(m) <= set(table.dims) for m in table.margins), table.name
        assert all(table.frame.schema[c] == pl.Int64 for c in table.counts), table.name
        for dim in set(table.dims) - UNLABELLED:
            assert table.frame[f"{dim}_label"].null_count() == 0, (table.name, dim)
    coverage = by_name(tables)["coverage_by_contributor"]
    assert coverage.counts == () and coverage.figures == ("missing_share",)


def test_empty_cases_give_empty_tables() -> None:
    tables = assessment_tables(frame_of([]))
    assert tables[0].frame.row(0, named=True)["cases"] == 0
    assert all(t.frame.is_empty() for t in tables[1:])


def test_comparison_fails_on_a_wrong_count() -> None:
    cases = frame_of(ROUTE_CASES)
    tables = assessment_tables(cases)
    assert_all_equal(tables, store_frame(cases))
    i = next(i for i, t in enumerate(tables) if t.name == "routes_corridors")
    wrong = tables[i].with_frame(tables[i].frame.with_columns(pl.col("cases") + (pl.int_range(pl.len()) == 3)))
    with pytest.raises(AssertionError, match="routes_corridors"):
        assert_all_equal([*tables[:i], wrong, *tables[i + 1 :]], store_frame(cases))
