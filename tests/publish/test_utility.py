"""Utility and risk of a release: marginal errors, combinations, uniqueness and a linkage attack."""

from __future__ import annotations

import polars as pl
import pytest
from tests.publish.test_kanon import make_cases

from palermo.publish.kanon import anonymise
from palermo.publish.utility import (
    combinations,
    common_generalisation,
    linkage_attack,
    marginal_errors,
    uniqueness,
    utility_report,
)

REAL = pl.DataFrame({"a": ["x", "x", "y", "z"], "b": ["p", "q", "p", "p"]})
RELEASE = pl.DataFrame({"a": ["x", "y", "y", "w"], "b": ["p", "p", "p", "q"]})


def test_marginal_errors_by_hand() -> None:
    errors = marginal_errors(REAL, RELEASE, ["a", "b"])
    rows = {r["columns"]: r for r in errors.iter_rows(named=True)}
    # a: real x2 y1 z1, release x1 y2 w1 -> |2-1|+|1-2|+|1-0|+|0-1| over 4 cells
    assert rows["a"]["mae"] == pytest.approx(1.0) and rows["a"]["cells"] == 4
    # b: real p3 q1, release p3 q1
    assert rows["b"]["mae"] == 0.0
    # (a, b): real xp xq yp zp, release xp yp yp wq -> xp 0, xq 1, yp 1, zp 1, wq 1 over 5 cells
    assert rows["a, b"]["mae"] == pytest.approx(4 / 5) and rows["a, b"]["width"] == 2


def test_combinations_by_hand() -> None:
    frame = combinations(REAL, RELEASE, ["a", "b"], widths=(1, 2))
    rows = {r["width"]: r for r in frame.iter_rows(named=True)}
    # width 1: a real {x,y,z} rel {x,y,w}: 2 preserved, 1 fabricated; b real {p,q} rel {p,q}
    assert (rows[1]["real"], rows[1]["released"], rows[1]["preserved"], rows[1]["fabricated"]) == (5, 5, 4, 1)
    # all columns: real {xp,xq,yp,zp}, release {xp,yp,wq}
    assert (rows[0]["preserved"], rows[0]["fabricated"]) == (2, 1)
    assert rows[0]["fabricated_share"] == pytest.approx(1 / 3)


def test_uniqueness_by_hand() -> None:
    measures = uniqueness(REAL, ["a", "b"], k=2)
    assert measures["unique_share"] == 1.0 and measures["classes"] == 4
    assert uniqueness(REAL, ["b"], k=3) == {"records": 4, "classes": 2, "unique_share": 0.25, "below_k_share": 0.25}


def test_linkage_by_hand() -> None:
    ids = pl.Series([10, 11, 12, 13])
    result = linkage_attack(REAL, RELEASE, ["a", "b"], real_ids=ids, release_ids=pl.Series([10, 12, 99, 98]))
    # xp matches one released record (id 10, right); yp matches two; xq and zp none
    assert (result.matched, result.unique, result.correct) == (2, 1, 1)
    assert result.unique_share == 0.25 and result.correct_share == 0.25


def test_common_generalisation_detects_levels() -> None:
    real = make_cases(3000)
    out = anonymise(real, k=11)
    assert common_generalisation(real, out.released, list(out.quasi_identifiers)) == out.levels


def test_linkage_attack_on_raw_and_k_anonymous_release() -> None:
    real = make_cases(3000)
    ids = pl.Series(range(real.height))
    qis = [c for c in real.columns if c != "note"]
    raw = utility_report(real, real.select(qis), real_ids=ids, release_ids=ids, k=11)
    assert raw.linkage.unique > 0 and raw.linkage.correct == raw.linkage.unique
    assert raw.mae(2) == 0.0 and raw.uniqueness.get_column("unique_share")[0] > 0
    out = anonymise(real, k=11)
    report = utility_report(real, out.released, real_ids=ids, release_ids=out.source_rows)
    assert report.linkage.unique == 0 and report.linkage.correct == 0
    assert report.uniqueness.filter(pl.col("dataset") == "release").get_column("below_k_share")[0] == 0.0
    assert report.levels == out.levels
    assert report.combinations.filter(pl.col("width") == 2).get_column("fabricated")[0] == 0
    assert report.mae(1) > 0 and set(report.summary().get_column("width").to_list()) == {1, 2, 3}


def test_imposed_levels_generalise_both_frames() -> None:
    real = make_cases(2000)
    out = anonymise(real, k=11)
    qis = list(out.quasi_identifiers)
    report = utility_report(real, real.select(qis), levels=out.levels)
    assert report.mae(3) == 0.0 and report.levels == out.levels
