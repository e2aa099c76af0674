"""Small-cell suppression of result tables: hide every count below k, and enough others that none is recoverable.

A count below ``k`` (default 11, as CTDC) of a cell *or of a published total* is suppressed (primary);
then other counts are suppressed (secondary) until an attacker who sees every published cell and total,
knows the rule and solves linear programs can neither pin a suppressed count exactly nor even prove that
a primary one is below ``k`` (see :mod:`palermo.publish.secondary` for the method).

Zeros. By default a zero is published: it describes no person, and a group-by table omits empty
combinations anyway (an absent row is a published zero). The attacker then knows a suppressed count is
at least 1, and the audit assumes so. ``suppress_zeros=True`` treats zeros in the frame as sensitive too
(hidden and protected like counts below ``k``), so a suppressed count may be 0; list every combination
in the frame (zeros included) for that to hide which combinations are empty.

Totals. ``ResultTable.margins`` names the totals published beside the cells; :func:`protect` returns
them, suppressed as needed, and reports must print those (never re-add the cells themselves).
Over a dimension where counts do not add up (a case in several forms of exploitation), pass it in
``non_additive`` and give the true totals of every margin summing over it in ``totals``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import polars as pl

from ..analyse.model import ResultTable
from .lattice import Lattice, Margin, build_lattice, normalise_margins, supplied_totals
from .secondary import Floats, hide

DEFAULT_K = 11


@dataclass(frozen=True)
class ColumnSummary:
    """What suppression did to one count column."""

    column: str
    cells: int
    primary: int
    """Cells below k (suppressed for themselves)."""
    secondary: int
    """Cells suppressed to protect others."""
    totals: int
    totals_suppressed: int


@dataclass(frozen=True)
class Protection:
    """A table after suppression and the totals that may be published beside it."""

    table: ResultTable
    margins: dict[Margin, pl.DataFrame]
    """Per margin (its dimensions in the table's order; a margin equal to the dimensions is the cells
    themselves and is left out): the margin's dimensions, each count (null when suppressed) and
    ``<count>_suppressed``."""
    k: int
    summary: tuple[ColumnSummary, ...]


def protect(
    table: ResultTable,
    k: int = DEFAULT_K,
    *,
    non_additive: Collection[str] = (),
    totals: Mapping[Margin, pl.DataFrame] | None = None,
    suppress_zeros: bool = False,
    mask_figures: bool = True,
    lines_first: bool = True,
) -> Protection:
    """Suppress ``table``'s counts and its margins' totals; null its figures on rows with a suppressed count.

    ``mask_figures``: a rate, expected value or q-value beside a suppressed count can give it away, so
    such figures are nulled too unless this is False.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    frame, dims = table.frame, table.dims
    _check(table, non_additive)
    margins = normalise_margins(dims, table.margins)
    lattice = build_lattice(frame, dims, margins, non_additive)
    given = dict(totals or {})
    floor = 0 if suppress_zeros else 1
    columns: dict[str, pl.Expr] = {}
    margin_columns: list[dict[str, pl.Series]] = [{} for _ in margins]
    summary: list[ColumnSummary] = []
    any_hidden = np.zeros(frame.height, dtype=np.bool_)
    for column in table.counts:
        x = _entries(lattice, frame, column, given, non_additive)
        hidden = hide(lattice, x, k, floor=floor, lines_first=lines_first)
        n = lattice.n_cells
        cells = hidden[:n]
        any_hidden |= cells
        dtype = frame.schema[column]
        flag = pl.Series(f"{column}_suppressed", cells)
        columns[column] = pl.when(flag).then(None).otherwise(pl.col(column))
        columns[flag.name] = pl.lit(flag)
        for i, (start, size) in enumerate(zip(lattice.starts, lattice.sizes, strict=True)):
            values = pl.Series(column, x[start : start + size].round().astype(np.int64)).cast(dtype)
            mask = hidden[start : start + size]
            margin_columns[i][column] = pl.select(pl.when(pl.Series(mask)).then(None).otherwise(values)).to_series()
            margin_columns[i][f"{column}_suppressed"] = pl.Series(f"{column}_suppressed", mask)
        sensitive = (x < k) if suppress_zeros else (x > 0) & (x < k)
        summary.append(
            ColumnSummary(
                column=column,
                cells=n,
                primary=int((cells & sensitive[:n]).sum()),
                secondary=int((cells & ~sensitive[:n]).sum()),
                totals=x.size - n,
                totals_suppressed=int(hidden[n:].sum()),
            )
        )
    published = frame.with_columns(**columns).select(_ordered(frame.columns, table.counts))
    if mask_figures and table.figures and any_hidden.any():
        keep = pl.Series(~any_hidden)
        published = published.with_columns(
            pl.when(keep).then(pl.col(f)).otherwise(None).alias(f) for f in table.figures
        )
    out = {
        margin: pl.concat([lattice.keys[i], pl.DataFrame(margin_columns[i])], how="horizontal")
        for i, margin in enumerate(margins)
    }
    return Protection(table.with_frame(published, *_notes(summary, k, suppress_zeros)), out, k, tuple(summary))


def suppress(
    table: ResultTable,
    k: int = DEFAULT_K,
    *,
    non_additive: Collection[str] = (),
    totals: Mapping[Margin, pl.DataFrame] | None = None,
    suppress_zeros: bool = False,
) -> ResultTable:
    """``table`` with every count below ``k`` and enough others suppressed (null, ``<count>_suppressed`` true)."""
    return protect(table, k, non_additive=non_additive, totals=totals, suppress_zeros=suppress_zeros).table


def published_margins(
    table: ResultTable,
    k: int = DEFAULT_K,
    *,
    non_additive: Collection[str] = (),
    totals: Mapping[Margin, pl.DataFrame] | None = None,
    suppress_zeros: bool = False,
) -> dict[Margin, pl.DataFrame]:
    """The totals of ``table.margins`` as they may be published beside :func:`suppress` of the same table.

    Deterministic: the same arguments give the same suppression as :func:`suppress`.
    """
    return protect(table, k, non_additive=non_additive, totals=totals, suppress_zeros=suppress_zeros).margins


def _check(table: ResultTable, non_additive: Collection[str]) -> None:
    frame = table.frame
    missing = [c for c in (*table.dims, *table.counts) if c not in frame.columns]
    if missing:
        raise ValueError(f"table {table.name!r} has no column {missing[0]!r}")
    if set(non_additive) - set(table.dims):
        raise ValueError("non_additive must name dimensions of the table")
    if table.dims and frame.select(table.dims).is_duplicated().any():
        raise ValueError(f"table {table.name!r} has two rows for the same combination of {table.dims}")
    if not table.dims and frame.height > 1:
        raise ValueError(f"table {table.name!r} has no dimensions but {frame.height} rows")
    for column in table.counts:
        series = frame.get_column(column)
        if not series.dtype.is_integer():
            raise ValueError(f"count column {column!r} must hold integers, not {series.dtype}")
        if series.null_count() or (series < 0).any():
            raise ValueError(f"count column {column!r} must hold non-negative counts without nulls")


def _entries(
    lattice: Lattice,
    frame: pl.DataFrame,
    column: str,
    given: Mapping[Margin, pl.DataFrame],
    non_additive: Collection[str],
) -> Floats:
    """The counts of the cells and of every total, in entry order."""
    x = lattice.totals(frame.get_column(column).cast(pl.Float64).to_numpy())
    for i, margin in enumerate(lattice.margins):
        start, size = lattice.starts[i], lattice.sizes[i]
        supplied = supplied_totals(lattice, i, given, column)
        if set(non_additive) - set(margin):
            if supplied is None:
                raise ValueError(f"totals over a non-additive dimension must be given: margin {margin}")
            x[start : start + size] = supplied
        elif supplied is not None and not np.array_equal(supplied, x[start : start + size]):
            raise ValueError(f"the totals given for margin {margin} are not the sums of the cells")
    return x


def _ordered(columns: list[str], counts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for name in columns:
        out.append(name)
        if name in counts:
            out.append(f"{name}_suppressed")
    return out


def _notes(summary: list[ColumnSummary], k: int, suppress_zeros: bool) -> list[str]:
    zero = "zeros included" if suppress_zeros else "zeros are shown"
    notes = []
    for s in summary:
        notes.append(
            f"{s.column}: counts below {k} are suppressed (k = {k}, {zero}); {s.primary + s.secondary} of "
            f"{s.cells} cells suppressed ({s.primary} below k, {s.secondary} to protect them from recovery "
            f"through totals); {s.totals_suppressed} of {s.totals} totals suppressed."
        )
    return notes
