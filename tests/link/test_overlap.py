"""Overlap tables: pair counts and capture histories against Python sets; published ones protected jointly."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping

import polars as pl
import pytest

from palermo.link.overlap import (
    OTHER,
    capture_histories,
    pair_overlap,
    pool_lists,
    published_overlap,
)
from palermo.publish.attack import audit_recoverability

K = 11
COLUMNS = ("entity_id", "org", "country", "case_key", "phone", "email", "bank_account", "passport", "address")


def linked(*rows: Mapping[str, str | None]) -> pl.DataFrame:
    """Linked records (the ``LinkedRecords`` contract) from partial rows: keys numbered, the rest null."""
    return pl.DataFrame(
        [{"record_key": f"r{i}", **{c: row.get(c) for c in COLUMNS}} for i, row in enumerate(rows)],
        schema=dict.fromkeys(("record_key", *COLUMNS), pl.String),
    )


def random_linked(n: int, orgs: int, seed: int = 0) -> pl.DataFrame:
    """``n`` records of ~n/3 entities over ``orgs`` organisations of unequal size."""
    rng = random.Random(seed)
    names = [f"org{i}" for i in range(orgs)]
    weights = [1.0 / (i + 1) for i in range(orgs)]
    return linked(
        *(
            {"entity_id": f"E{rng.randrange(n // 3)}", "org": rng.choices(names, weights)[0], "country": "NL"}
            for _ in range(n)
        )
    )


def seen_by(records: pl.DataFrame) -> dict[str, set[str]]:
    """Independently: each organisation's set of entities, by a plain loop."""
    out: dict[str, set[str]] = {}
    for entity, org in records.select("entity_id", "org").iter_rows():
        out.setdefault(org, set()).add(entity)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pair_overlap_equals_set_intersections(seed: int) -> None:
    records = random_linked(400, orgs=6, seed=seed)
    sets = seen_by(records)
    table = pair_overlap(records)
    assert table.dims == ("org_a", "org_b")
    got = {(a, b): n for a, b, n in table.frame.select("org_a", "org_b", "entities").iter_rows()}
    names = sorted(sets)
    expected = {(a, b): len(sets[a] & sets[b]) for a in names for b in names if a <= b}
    assert got == expected


def test_pair_overlap_lists_zero_pairs() -> None:
    records = linked({"entity_id": "E1", "org": "A"}, {"entity_id": "E2", "org": "B"}, {"entity_id": "E2", "org": "C"})
    frame = pair_overlap(records).frame
    assert frame.select("org_a", "org_b", "entities").rows() == [
        ("A", "A", 1), ("A", "B", 0), ("A", "C", 0), ("B", "B", 1), ("B", "C", 1), ("C", "C", 1),
    ]


@pytest.mark.parametrize("seed", [0, 3])
def test_capture_histories_count_each_exact_pattern(seed: int) -> None:
    records = random_linked(500, orgs=5, seed=seed)
    table = capture_histories(records)
    frame = table.frame
    assert frame.get_column("entities").sum() == records.get_column("entity_id").n_unique()
    per_entity: dict[str, set[str]] = {}
    for entity, org in records.select("entity_id", "org").iter_rows():
        per_entity.setdefault(entity, set()).add(org)
    expected = Counter(" & ".join(sorted(orgs)) for orgs in per_entity.values())
    assert dict(frame.select("pattern", "entities").iter_rows()) == dict(expected)
    orgs = list(table.dims)
    assert orgs == sorted(seen_by(records))
    for row in frame.iter_rows(named=True):
        members = [o for o in orgs if row[o] == 1]
        assert " & ".join(members) == row["pattern"]
        assert len(members) == row["lists"]
    assert all(frame.schema[o] == pl.Int8 for o in orgs)


def test_capture_history_margins_give_the_pair_table() -> None:
    records = random_linked(300, orgs=4, seed=5)
    table = capture_histories(records)
    pairs = pair_overlap(records).frame
    for a, b, n in pairs.select("org_a", "org_b", "entities").iter_rows():
        assert table.frame.filter((pl.col(a) == 1) & (pl.col(b) == 1)).get_column("entities").sum() == n
        margin = (a,) if a == b else (a, b)
        assert margin in table.margins


def test_pooling_keeps_the_largest_organisations() -> None:
    records = random_linked(600, orgs=6, seed=1)
    sizes = {org: len(s) for org, s in seen_by(records).items()}
    largest = sorted(sizes, key=lambda o: (-sizes[o], o))[:2]
    pooled = pool_lists(records, 3)
    assert set(pooled.get_column("org").unique()) == {*largest, OTHER}
    table = capture_histories(records, lists=3)
    assert set(table.dims) == {*largest, OTHER}
    assert table.frame.get_column("entities").sum() == records.get_column("entity_id").n_unique()
    assert pool_lists(records, 10).equals(records)
    with pytest.raises(ValueError, match="two lists"):
        pool_lists(records, 1)


def test_an_organisation_named_like_a_column_is_refused() -> None:
    with pytest.raises(ValueError, match="named like"):
        capture_histories(linked({"entity_id": "E1", "org": "entities"}))


def _no_small_published(frame: pl.DataFrame) -> None:
    shown = frame.filter(~pl.col("entities_suppressed"))
    assert not shown.filter(pl.col("entities").is_between(1, K - 1)).height
    hidden = frame.filter(pl.col("entities_suppressed"))
    assert hidden.get_column("entities").null_count() == hidden.height


@pytest.mark.parametrize("seed", [0, 1])
def test_published_tables_hide_small_counts_and_stay_true(seed: int) -> None:
    records = random_linked(900, orgs=4, seed=seed)
    truth_capture = capture_histories(records).frame
    truth_pairs = pair_overlap(records).frame
    out = published_overlap(records, k=K)
    capture, pairs = out.capture.frame, out.pairs.frame
    assert out.protection.summary[0].primary > 0  # the random data has small cells to hide
    _no_small_published(capture)
    _no_small_published(pairs)
    for totals in out.protection.margins.values():
        _no_small_published(totals)
    joined = capture.join(truth_capture.select("pattern", pl.col("entities").alias("truth")), on="pattern")
    assert joined.height == truth_capture.height
    shown = joined.filter(~pl.col("entities_suppressed"))
    assert shown.get_column("entities").to_list() == shown.get_column("truth").to_list()
    both = pairs.join(truth_pairs.rename({"entities": "truth"}), on=["org_a", "org_b"])
    assert both.height == truth_pairs.height
    visible = both.filter(~pl.col("entities_suppressed"))
    assert visible.get_column("entities").to_list() == visible.get_column("truth").to_list()
    assert out.total == records.get_column("entity_id").n_unique()
    found = audit_recoverability(out.protection.table, out.protection.margins, k=K)
    assert [r for r in found if r.disclosed] == []


def test_pair_table_cannot_be_differenced_against_the_capture_table() -> None:
    # {A only} = 5 would follow from n(A) - shared(A, B) = 100 - 95 if both were published.
    rows = [{"entity_id": f"A{i}", "org": "A"} for i in range(5)]
    rows += [{"entity_id": f"B{i}", "org": "B"} for i in range(100)]
    rows += [{"entity_id": f"S{i}", "org": o} for i in range(95) for o in ("A", "B")]
    out = published_overlap(linked(*rows), k=K)
    capture = out.capture.frame
    assert capture.filter(pl.col("pattern") == "A").get_column("entities_suppressed").to_list() == [True]
    pairs = {(a, b): n for a, b, n in out.pairs.frame.select("org_a", "org_b", "entities").iter_rows()}
    assert pairs[("A", "A")] is None or pairs[("A", "B")] is None
    found = audit_recoverability(out.protection.table, out.protection.margins, k=K)
    assert [r for r in found if r.disclosed] == []
    assert out.pairs.frame.get_column("entities_suppressed").any()


def test_a_pair_nobody_shares_is_a_published_zero() -> None:
    rows = [{"entity_id": f"A{i}", "org": "A"} for i in range(20)] + [
        {"entity_id": f"B{i}", "org": "B"} for i in range(30)
    ]
    out = published_overlap(linked(*rows))
    assert out.pairs.frame.select("org_a", "org_b", "entities", "entities_suppressed").rows() == [
        ("A", "A", 20, False), ("A", "B", 0, False), ("B", "B", 30, False),
    ]
    assert out.total == 50


def test_one_organisation_and_no_records() -> None:
    alone = published_overlap(linked(*({"entity_id": f"E{i}", "org": "A"} for i in range(4))))
    assert alone.pairs.frame.select("org_a", "org_b", "entities", "entities_suppressed").rows() == [
        ("A", "A", None, True)
    ]
    assert alone.capture.frame.get_column("entities_suppressed").to_list() == [True]
    assert alone.total is None
    empty = published_overlap(linked())
    assert empty.capture.frame.height == 0
    assert empty.pairs.frame.height == 0
    assert pair_overlap(linked()).frame.height == 0
