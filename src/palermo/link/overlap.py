"""Overlap of organisations' caseloads after linkage: shared entities and capture histories.

* :func:`pair_overlap`: for each pair of organisations, how many linked entities (persons) both saw;
  on the diagonal, how many each saw.
* :func:`capture_histories`: for each pattern of organisations, how many entities were seen by exactly
  that set: the input of multiple-systems estimation (MSE) of the hidden population. One 0/1 column per
  organisation (a *list*, in MSE terms), ``pattern``, ``lists`` and ``entities``.
* :func:`published_overlap`: both, protected *together* by small-cell suppression.

Why together: a pair count is a sum of capture-history cells (``shared(A, B)`` is every pattern with
both A and B) and an organisation's count likewise, so publishing the pair table beside a suppressed
capture table would let anyone recompute a hidden cell by differencing (with two lists,
``{A only} = n(A) - shared(A, B)``). :func:`published_overlap` therefore protects the capture table with
the grand total, every organisation's total and every pair's totals declared as its margins, and reads
the published pair table off those protected margins.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..analyse.model import ResultTable
from ..publish.suppression import DEFAULT_K, Protection, protect

PATTERN_SEP = " & "
OTHER = "other organisations"
MAX_LISTS = 10
"""Default number of lists in :func:`published_overlap`: the largest organisations, the rest pooled."""
RESERVED = frozenset({"pattern", "lists", "entities", "entities_suppressed"})


def memberships(records: pl.DataFrame) -> pl.DataFrame:
    """Distinct (entity_id, org) pairs of linked records, without nulls."""
    return (
        records.select("entity_id", "org")
        .drop_nulls()
        .unique()
        .sort("entity_id", "org")
    )


def organisations(records: pl.DataFrame) -> pl.DataFrame:
    """Each organisation with the number of distinct entities it saw, largest first (ties by name)."""
    return (
        memberships(records)
        .group_by("org")
        .agg(entities=pl.len().cast(pl.Int64))
        .sort(["entities", "org"], descending=[True, False])
    )


def pool_lists(records: pl.DataFrame, lists: int | None) -> pl.DataFrame:
    """Records with all but the ``lists - 1`` largest organisations renamed :data:`OTHER` (None: unchanged)."""
    if lists is None:
        return records
    if lists < 2:
        raise ValueError("at least two lists are needed")
    ranked = organisations(records).get_column("org")
    if ranked.len() <= lists:
        return records
    keep = ranked.head(lists - 1).implode()
    return records.with_columns(
        org=pl.when(pl.col("org").is_in(keep)).then(pl.col("org")).otherwise(pl.lit(OTHER))
    )


def pair_overlap(records: pl.DataFrame) -> ResultTable:
    """Entities shared by each pair of organisations (``org_a <= org_b``; the diagonal: entities seen).

    Every pair is listed, zeros included. Publish it only through :func:`published_overlap`: protected
    on its own it could be differenced against the capture histories.
    """
    member = memberships(records)
    orgs = member.select("org").unique().sort("org")
    grid = orgs.rename({"org": "org_a"}).join(orgs.rename({"org": "org_b"}), how="cross").filter(
        pl.col("org_a") <= pl.col("org_b")
    )
    shared = (
        member.join(member, on="entity_id", suffix="_b")
        .filter(pl.col("org") <= pl.col("org_b"))
        .group_by(pl.col("org").alias("org_a"), "org_b")
        .agg(entities=pl.len().cast(pl.Int64))
    )
    frame = (
        grid.join(shared, on=["org_a", "org_b"], how="left")
        .with_columns(pl.col("entities").fill_null(0))
        .sort("org_a", "org_b")
    )
    return ResultTable(
        name="org_pair_overlap",
        title="Linked persons shared by each pair of organisations",
        frame=frame,
        dims=("org_a", "org_b"),
        counts=("entities",),
        margins=(),
        description="Persons (linked entities) seen by both organisations; on the diagonal, by the organisation.",
        section="linkage",
    )


def capture_histories(records: pl.DataFrame, *, lists: int | None = None) -> ResultTable:
    """How many entities each exact set of organisations saw: one row per observed pattern.

    Columns: one 0/1 column per organisation (the dimensions, sorted by name), ``pattern`` (the
    organisations joined by " & "), ``lists`` (how many) and ``entities``. Patterns seen by nobody are
    absent (zeros); the sum of ``entities`` is the number of distinct entities. ``lists``: pool all but
    the largest ``lists - 1`` organisations as :data:`OTHER`. Margins: the grand total, every
    organisation's and every pair's totals (what :func:`published_overlap` publishes).
    """
    member = memberships(pool_lists(records, lists))
    orgs = member.get_column("org").unique().sort().to_list()
    clash = RESERVED & set(orgs)
    if clash:
        raise ValueError(f"an organisation is named like a column of the table: {sorted(clash)}")
    per_entity = member.group_by("entity_id").agg(pl.col("org").sort().alias("seen"))
    frame = (
        per_entity.group_by("seen")
        .agg(entities=pl.len().cast(pl.Int64))
        .with_columns(
            *(pl.col("seen").list.contains(org).cast(pl.Int8).alias(org) for org in orgs),
            pattern=pl.col("seen").list.join(PATTERN_SEP),
            lists=pl.col("seen").list.len().cast(pl.Int64),
        )
        .sort(["lists", "pattern"])
        .select(*orgs, "pattern", "lists", "entities")
    )
    dims = tuple(orgs)
    margins = ((), *((o,) for o in dims), *((a, b) for i, a in enumerate(dims) for b in dims[i + 1 :]))
    return ResultTable(
        name="capture_histories",
        title="Capture histories: linked persons by the exact set of organisations that saw them",
        frame=frame,
        dims=dims,
        counts=("entities",),
        margins=margins,
        description="Input for multiple-systems estimation of the number of victims no organisation saw.",
        section="linkage",
    )


@dataclass(frozen=True)
class PublishedOverlap:
    """The capture histories and pair overlaps as they may be published, and the protection behind them."""

    capture: ResultTable
    pairs: ResultTable
    total: int | None
    """The number of linked entities (None if suppressed)."""
    protection: Protection


def _pairs_from_margins(table: ResultTable, protection: Protection) -> pl.DataFrame:
    """The pair table (diagonal included) read off the protected margins of the capture histories."""
    rows: list[pl.DataFrame] = []
    dims = table.dims
    for i, a in enumerate(dims):
        for b in dims[i:]:
            margin = (a,) if a == b else (a, b)
            # A margin over every dimension is the cells themselves (protect() lists no totals for it);
            # either way at most one row has a 1 for each organisation of the margin.
            totals = protection.table.frame if len(margin) == len(dims) else protection.margins[margin]
            hit = totals.filter(pl.all_horizontal(pl.col(m) == 1 for m in margin)).select(
                "entities", "entities_suppressed"
            )
            if hit.is_empty():  # no entity seen by both: a zero the absent capture cells already publish
                hit = pl.DataFrame({"entities": [0], "entities_suppressed": [False]})
            rows.append(hit.select(pl.lit(a).alias("org_a"), pl.lit(b).alias("org_b"), pl.all()))
    schema = {"org_a": pl.String, "org_b": pl.String, "entities": pl.Int64, "entities_suppressed": pl.Boolean}
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.concat([r.cast(schema) for r in rows]).sort("org_a", "org_b")  # type: ignore[arg-type]


def published_overlap(records: pl.DataFrame, k: int = DEFAULT_K, *, lists: int | None = MAX_LISTS) -> PublishedOverlap:
    """Capture histories and pair overlaps with every count in (0, k) hidden and none recoverable.

    One :func:`~palermo.publish.suppression.protect` call over the capture histories and their margins
    (grand total, organisations, pairs) decides what is hidden in both tables. ``lists`` caps the number
    of organisations (the rest pooled as :data:`OTHER`): the margins grow with its square.
    """
    table = capture_histories(records, lists=lists)
    protection = protect(table, k)
    pairs = pair_overlap(pool_lists(records, lists))
    published_pairs = pairs.with_frame(_pairs_from_margins(table, protection), *protection.table.notes)
    grand = protection.margins.get(())
    total = None
    if grand is not None and not grand.get_column("entities_suppressed")[0]:
        total = int(grand.get_column("entities")[0])
    return PublishedOverlap(capture=protection.table, pairs=published_pairs, total=total, protection=protection)
