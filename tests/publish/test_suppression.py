"""Small-cell suppression: no published count below k, and an LP attacker recovers no suppressed count."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from palermo.analyse.model import ResultTable
from palermo.publish.attack import Recovery, audit_recoverability
from palermo.publish.lattice import Margin
from palermo.publish.suppression import Protection, protect, published_margins, suppress

K = 11
Array = npt.NDArray[np.int64]


def make_table(
    values: Array, margins: Sequence[Margin], *, drop_zeros: bool = False, figures: bool = False
) -> ResultTable:
    """A table over dims d0, d1, ... holding ``values`` (absent rows for zeros if ``drop_zeros``)."""
    dims = tuple(f"d{i}" for i in range(values.ndim))
    index = list(itertools.product(*(range(s) for s in values.shape)))
    frame = pl.DataFrame(
        {d: [f"{d}-{row[i]}" for row in index] for i, d in enumerate(dims)}
        | {"cases": [int(values[row]) for row in index]},
        schema={**dict.fromkeys(dims, pl.String), "cases": pl.Int64},
    )
    if drop_zeros:
        frame = frame.filter(pl.col("cases") > 0)
    extra: tuple[str, ...] = ()
    if figures:
        frame = frame.with_columns(share=pl.col("cases") / pl.col("cases").sum())
        extra = ("share",)
    return ResultTable("t", "T", frame, dims, figures=extra, margins=tuple(margins))


def true_totals(table: ResultTable, margin: Margin) -> pl.DataFrame:
    """The exact sums of the cells over the dimensions not in ``margin``."""
    if not margin:
        return table.frame.select(pl.col("cases").sum())
    return table.frame.group_by(list(margin)).agg(pl.col("cases").sum())


def disclosed(protection: Protection, **options: object) -> list[Recovery]:
    """Suppressed counts that the attacker pins exactly or proves to be below k."""
    found = audit_recoverability(protection.table, protection.margins, k=protection.k, **options)  # type: ignore[arg-type]
    return [r for r in found if r.disclosed]


def assert_safe_and_faithful(original: ResultTable, protection: Protection) -> None:
    """Published counts are true and never in (0, k); suppressed ones are null and flagged; no disclosure."""
    k = protection.k
    frame = protection.table.frame
    assert frame.height == original.frame.height
    assert frame.select(original.dims).equals(original.frame.select(original.dims))
    shown = ~frame.get_column("cases_suppressed")
    assert (
        frame.filter(shown).get_column("cases").to_list() == original.frame.filter(shown).get_column("cases").to_list()
    )
    assert frame.filter(~shown).get_column("cases").null_count() == int((~shown).sum())
    assert not frame.filter(shown & pl.col("cases").is_between(1, k - 1)).height
    for margin, totals in protection.margins.items():
        truth = true_totals(original, margin).rename({"cases": "truth"})
        joined = (
            totals.join(truth, on=list(margin), nulls_equal=True)
            if margin
            else pl.concat([totals, truth], how="horizontal")
        )
        assert joined.height == totals.height
        published = joined.filter(~pl.col("cases_suppressed"))
        assert published.get_column("cases").to_list() == published.get_column("truth").to_list()
        assert not published.filter(pl.col("cases").is_between(1, k - 1)).height
        assert (
            joined.filter(pl.col("cases_suppressed")).get_column("cases").null_count()
            == joined.filter(pl.col("cases_suppressed")).height
        )
    assert disclosed(protection) == []


def all_margins(ndim: int) -> list[Margin]:
    dims = [f"d{i}" for i in range(ndim)]
    return [tuple(m) for r in range(ndim) for m in itertools.combinations(dims, r)]


@st.composite
def tables(draw: st.DrawFn, max_dims: int = 3) -> tuple[Array, list[Margin], bool]:
    """Random counts with many small cells, a random set of published margins, dense or sparse."""
    ndim = draw(st.integers(1, max_dims))
    limit = {1: 7, 2: 5, 3: 3}[ndim]
    shape = tuple(draw(st.lists(st.integers(1, limit), min_size=ndim, max_size=ndim)))
    count = int(np.prod(shape))
    kinds = st.sampled_from(["zero", "small", "small", "big"])
    cells = [
        draw(st.just(0) if kind == "zero" else st.integers(1, K - 1) if kind == "small" else st.integers(K, 60))
        for kind in draw(st.lists(kinds, min_size=count, max_size=count))
    ]
    options = all_margins(ndim)
    margins = draw(st.lists(st.sampled_from(options), unique=True, max_size=len(options)))
    return np.array(cells, dtype=np.int64).reshape(shape), margins, draw(st.booleans())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_random_tables_are_protected(case: tuple[Array, list[Margin], bool]) -> None:
    values, margins, sparse = case
    table = make_table(values, margins, drop_zeros=sparse)
    assert_safe_and_faithful(table, protect(table))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_random_tables_are_protected_without_the_line_pass(case: tuple[Array, list[Margin], bool]) -> None:
    values, margins, sparse = case
    table = make_table(values, margins, drop_zeros=sparse)
    assert_safe_and_faithful(table, protect(table, lines_first=False))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_random_tables_are_protected_with_zeros_hidden(case: tuple[Array, list[Margin], bool]) -> None:
    values, margins, _ = case
    table = make_table(values, margins)
    protection = protect(table, suppress_zeros=True)
    frame = protection.table.frame
    assert not frame.filter(~pl.col("cases_suppressed") & (pl.col("cases") < K)).height
    found = audit_recoverability(protection.table, protection.margins, floor=0)
    assert [r for r in found if r.disclosed] == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32 - 1))
def test_three_dimensional_tables_resist_an_integer_attacker(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = np.where(rng.random((3, 3, 3)) < 0.5, rng.integers(1, K, (3, 3, 3)), rng.integers(K, 40, (3, 3, 3)))
    table = make_table(values, all_margins(3))
    protection = protect(table)
    assert disclosed(protection, integer=True) == []


def naive(table: ResultTable, k: int = K) -> Protection:
    """Primary suppression only, with every total published: what must not be done."""
    small = pl.col("cases").is_between(1, k - 1)
    frame = table.frame.with_columns(
        pl.when(small).then(None).otherwise(pl.col("cases")).alias("cases"), small.alias("cases_suppressed")
    )
    margins = {m: true_totals(table, m).with_columns(cases_suppressed=pl.lit(False)) for m in table.margins}
    return Protection(table.with_frame(frame), margins, k, ())


def test_the_attack_recovers_cells_from_primary_suppression_alone() -> None:
    values = np.array([[3, 25, 40], [30, 12, 50], [14, 60, 22]])
    table = make_table(values, [("d0",), ("d1",), ()])
    found = audit_recoverability(naive(table).table, naive(table).margins)
    assert [(r.key, r.lower, r.upper) for r in found] == [(("d0-0", "d1-0"), 3.0, 3.0)]
    assert found[0].recovered and found[0].proven_small
    assert_safe_and_faithful(table, protect(table))


@settings(max_examples=50, deadline=None)
@given(tables(max_dims=2))
def test_the_attack_has_teeth_whenever_a_line_has_one_small_cell(case: tuple[Array, list[Margin], bool]) -> None:
    values, margins, _ = case
    table = make_table(values, [*margins, ()])
    small = (values > 0) & (values < K)
    if small.sum() != 1:
        return
    assert disclosed(naive(table)), "one small cell beside a published grand total is always recovered"


def test_two_small_cells_in_a_line_can_still_be_proven_small() -> None:
    # 3 + 4 = 7 is known from the total: neither cell is pinned, but both are provably below k.
    table = make_table(np.array([3, 4, 50]), [()])
    found = audit_recoverability(naive(table).table, naive(table).margins)
    assert all(not r.recovered and r.proven_small for r in found)
    protection = protect(table)
    assert protection.table.frame.get_column("cases_suppressed").to_list() == [True, True, True]
    assert_safe_and_faithful(table, protection)


def test_all_cells_small_hides_the_total_too() -> None:
    table = make_table(np.array([1, 2, 3]), [()])
    protection = protect(table)
    assert protection.table.frame.get_column("cases").null_count() == 3
    assert protection.margins[()].get_column("cases_suppressed").to_list() == [True]
    assert_safe_and_faithful(table, protection)


@pytest.mark.parametrize(("value", "hidden"), [(5, True), (20, False), (0, False)])
def test_a_single_cell(value: int, hidden: bool) -> None:
    table = make_table(np.array([value]), [()])
    protection = protect(table)
    assert protection.table.frame.get_column("cases_suppressed").to_list() == [hidden]
    assert protection.margins[()].get_column("cases_suppressed").to_list() == [hidden]
    assert_safe_and_faithful(table, protection)


def test_a_table_without_dimensions() -> None:
    table = ResultTable("n", "N", pl.DataFrame({"cases": [7]}), ())
    protection = protect(table)
    assert protection.table.frame.get_column("cases").to_list() == [None]
    assert protection.margins == {}


def test_a_row_total_below_k_is_suppressed_and_protected() -> None:
    values = np.array([[4, 3, 0], [30, 25, 40], [20, 15, 35]])  # row 0 totals 7
    table = make_table(values, [("d0",), ("d1",), ()])
    protection = protect(table)
    rows = protection.margins[("d0",)].sort("d0")
    assert rows.get_column("cases_suppressed").to_list()[0]
    assert_safe_and_faithful(table, protection)


def test_a_line_with_one_non_empty_cell() -> None:
    values = np.array([[15, 0, 0], [30, 25, 40], [5, 15, 35]])
    table = make_table(values, [("d0",), ("d1",), ()])
    assert_safe_and_faithful(table, protect(table))
    values = np.array([[5, 0, 0], [30, 25, 40], [20, 15, 35]])  # the row total is the small cell itself
    table = make_table(values, [("d0",), ("d1",), ()])
    protection = protect(table)
    assert protection.margins[("d0",)].sort("d0").get_column("cases_suppressed").to_list()[0]
    assert_safe_and_faithful(table, protection)


def test_zeros_are_published_by_default_and_hidden_on_request() -> None:
    values = np.array([[0, 3, 30], [12, 0, 25], [40, 18, 0]])
    table = make_table(values, [("d0",), ("d1",), ()])
    shown = protect(table).table.frame.filter(pl.col("cases") == 0)
    assert shown.height == 3
    protection = protect(table, suppress_zeros=True)
    hidden = protection.table.frame.filter(pl.col("cases_suppressed"))
    assert hidden.height >= 4 and protection.table.frame.filter(pl.col("cases") == 0).height == 0
    found = audit_recoverability(protection.table, protection.margins, floor=0)
    assert [r for r in found if r.disclosed] == []


def test_output_columns_and_notes() -> None:
    table = make_table(np.array([[3, 25], [30, 12]]), [("d0",), ("d1",), ()], figures=True)
    published = suppress(table)
    assert published.frame.columns == ["d0", "d1", "cases", "cases_suppressed", "share"]
    assert published.frame.schema["cases"] == pl.Int64
    assert published.frame.get_column("cases_suppressed").to_list() == [True, True, True, True]
    assert published.frame.get_column("share").null_count() == 4
    assert any("k = 11" in note and "4 of 4 cells suppressed" in note for note in published.notes)
    assert table.frame.get_column("cases").null_count() == 0  # the input is left alone
    margins = published_margins(table)
    assert set(margins) == {("d0",), ("d1",), ()}
    assert margins[()].get_column("cases").to_list() == [70]


def test_k_is_a_parameter() -> None:
    table = make_table(np.array([4, 6, 30]), [()])
    assert suppress(table, k=5).frame.get_column("cases_suppressed").to_list() == [True, True, False]
    assert_safe_and_faithful(table, protect(table, k=5))
    assert_safe_and_faithful(table, protect(table, k=1))


def test_several_count_columns_are_protected_each() -> None:
    base = make_table(np.array([[3, 25, 40], [30, 12, 50]]), [("d0",), ()])
    frame = base.frame.with_columns(victims=pl.col("cases") * 2 - 1)
    table = ResultTable("t", "T", frame, base.dims, counts=("cases", "victims"), margins=base.margins)
    protection = protect(table)
    assert {"cases_suppressed", "victims_suppressed"} <= set(protection.table.frame.columns)
    assert len(protection.summary) == 2
    assert disclosed(protection) == []


def test_null_dimension_values_form_their_own_category() -> None:
    frame = pl.DataFrame({"year": [2020, 2020, None, None], "sex": ["f", "m", "f", "m"], "cases": [3, 40, 25, 30]})
    table = ResultTable("t", "T", frame, ("year", "sex"), margins=(("year",), ()))
    protection = protect(table)
    assert protection.margins[("year",)].height == 2
    assert disclosed(protection) == []


def multi_select_table(seed: int) -> tuple[ResultTable, dict[Margin, pl.DataFrame]]:
    """Cases with a year and one or more forms: counts per (year, form) do not add up to year totals."""
    rng = np.random.default_rng(seed)
    forms = ["sexual", "labour", "begging", "other"]
    cases = pl.DataFrame(
        {
            "year": rng.integers(2018, 2022, 150),
            "form": [list(rng.choice(forms, size=rng.integers(1, 3), replace=False)) for _ in range(150)],
        }
    ).with_row_index("case")
    long = cases.explode("form")
    cells = long.group_by("year", "form").agg(cases=pl.len().cast(pl.Int64)).sort("year", "form")
    totals = {
        ("year",): cases.group_by("year").agg(cases=pl.len().cast(pl.Int64)),
        (): pl.DataFrame({"cases": [cases.height]}),
    }
    table = ResultTable("forms", "Forms", cells, ("year", "form"), margins=(("year",), ("form",), ()))
    return table, totals


@pytest.mark.parametrize("seed", range(5))
def test_non_additive_dimension_with_given_totals(seed: int) -> None:
    table, totals = multi_select_table(seed)
    protection = protect(table, non_additive=("form",), totals=totals)
    frame = protection.table.frame
    assert not frame.filter(~pl.col("cases_suppressed") & pl.col("cases").is_between(1, K - 1)).height
    given = totals[("year",)].rename({"cases": "given"})
    year = protection.margins[("year",)].join(given, on="year").filter(~pl.col("cases_suppressed"))
    assert year.get_column("cases").to_list() == year.get_column("given").to_list()
    assert protection.margins[()].get_column("cases").to_list() in ([150], [None])
    found = audit_recoverability(protection.table, protection.margins, non_additive=("form",))
    assert [r for r in found if r.disclosed] == []


def test_non_additive_totals_must_be_given() -> None:
    table, _ = multi_select_table(0)
    with pytest.raises(ValueError, match="must be given"):
        protect(table, non_additive=("form",))
    with pytest.raises(ValueError, match="not the sums"):
        protect(table, totals={("year",): pl.DataFrame({"year": [2018, 2019, 2020, 2021], "cases": [1, 2, 3, 4]})})


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"d0": ["a", "a"], "cases": [1, 2]}), "two rows"),
        (pl.DataFrame({"d0": ["a", "b"], "cases": [1, -2]}), "non-negative"),
        (pl.DataFrame({"d0": ["a", "b"], "cases": [1, None]}), "non-negative"),
        (pl.DataFrame({"d0": ["a", "b"], "cases": [1.0, 2.0]}), "integers"),
    ],
)
def test_bad_tables_are_refused(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        protect(ResultTable("t", "T", frame, ("d0",)))


def test_unknown_margin_and_bad_k_are_refused() -> None:
    table = make_table(np.array([1, 20]), [("nope",)])
    with pytest.raises(ValueError, match="not dimensions"):
        protect(table)
    with pytest.raises(ValueError, match="k must be"):
        protect(make_table(np.array([1, 20]), [()]), k=0)


def test_a_large_two_dimensional_table_is_quick() -> None:
    rng = np.random.default_rng(7)
    values = np.where(rng.random((60, 60)) < 0.4, rng.integers(1, K, (60, 60)), rng.integers(K, 200, (60, 60)))
    table = make_table(values, [("d0",), ("d1",), ()], drop_zeros=True)
    protection = protect(table)
    frame = protection.table.frame
    assert not frame.filter(~pl.col("cases_suppressed") & pl.col("cases").is_between(1, K - 1)).height
