"""The linear structure of a table of counts and its published totals, as secondary suppression sees it.

A table's *entries* are its cells (the frame's rows, in order) followed by the totals of each margin
(one entry per group of the margin's dimensions). Totals relate to finer levels (a finer margin, or
the cells) by *relations*: over a dimension where counts add up (``T = sum of children``) an equality,
over a dimension where a case may count several times (multi-select forms) only the inequalities
``child <= T <= sum of children``. ``lines`` are the equalities between a total and its immediate
children; a line with exactly one unknown entry discloses it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse

Ints = npt.NDArray[np.int64]
Margin = tuple[str, ...]


def normalise_margins(dims: tuple[str, ...], margins: Collection[Collection[str]]) -> tuple[Margin, ...]:
    """Margins in the order of ``dims``, without duplicates or a margin equal to the cells themselves."""
    out: list[Margin] = []
    for margin in margins:
        unknown = set(margin) - set(dims)
        if unknown:
            raise ValueError(f"margin {tuple(margin)} names columns that are not dimensions: {sorted(unknown)}")
        kept = tuple(d for d in dims if d in set(margin))
        if len(kept) < len(dims) and kept not in out:
            out.append(kept)
    return tuple(out)


def group_index(frame: pl.DataFrame, by: Margin) -> tuple[Ints, pl.DataFrame]:
    """The group of each row of ``frame`` by the columns ``by`` (nulls form a group), and the group keys."""
    n = frame.height
    if not by:
        return np.zeros(n, dtype=np.int64), pl.DataFrame()
    grouped = (
        frame.select(by)
        .with_row_index("_row")
        .group_by(list(by), maintain_order=True)
        .agg(pl.col("_row"))
        .with_row_index("_group")
    )
    pairs = grouped.select("_group", "_row").explode("_row")
    index = np.empty(n, dtype=np.int64)
    index[pairs.get_column("_row").to_numpy()] = pairs.get_column("_group").to_numpy()
    return index, grouped.select(by)


@dataclass(frozen=True)
class Lattice:
    """Cells and totals of one table as numbered entries, with the relations between them."""

    dims: tuple[str, ...]
    margins: tuple[Margin, ...]
    n_cells: int
    starts: tuple[int, ...]
    """First entry of each margin's totals; ``starts[i + 1]`` (or ``n_entries``) ends it."""
    sizes: tuple[int, ...]
    """Number of totals of each margin (1 for the grand total)."""
    keys: tuple[pl.DataFrame, ...]
    """Per margin, the group keys in entry order (no columns for the grand total)."""
    groups: tuple[Ints, ...]
    """Per margin, the group (0-based, within the margin) of every cell."""
    equalities: sparse.csr_array
    """Rows ``a`` with ``a @ x == 0``."""
    inequalities: sparse.csr_array
    """Rows ``a`` with ``a @ x <= 0``."""
    lines: tuple[Ints, ...]
    """Each additive total followed by its immediate children (entry numbers)."""
    codes: npt.NDArray[np.int64]
    """Per entry and dimension, the category number (0-based), or -1 where the entry totals over it."""
    categories: tuple[int, ...]
    """Number of categories of each dimension."""
    _keys: Ints
    _order: Ints

    @property
    def n_entries(self) -> int:
        """Cells and totals together."""
        return self.starts[-1] + self.sizes[-1] if self.margins else self.n_cells

    def find(self, codes: npt.NDArray[np.int64]) -> Ints:
        """The entries with these rows of category codes (-1 for none: an empty combination)."""
        key = self._encode(codes)
        at = np.minimum(np.searchsorted(self._keys, key), max(self._keys.size - 1, 0))
        found = self._keys[at] == key if self._keys.size else np.zeros(key.shape, dtype=np.bool_)
        return np.where(found, self._order[at], -1)

    def _encode(self, codes: npt.NDArray[np.int64]) -> Ints:
        radix = np.cumprod([1, *(c + 1 for c in self.categories[:-1])]) if self.categories else np.ones(0)
        return np.asarray((codes + 1) @ radix.astype(np.int64), dtype=np.int64)

    def totals(self, cells: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The sums over the cells for every margin (what additive totals are), in entry order."""
        parts = [cells]
        for size, groups in zip(self.sizes, self.groups, strict=True):
            parts.append(np.asarray(np.bincount(groups, weights=cells, minlength=size)[:size], dtype=np.float64))
        return np.concatenate(parts)


def build_lattice(
    frame: pl.DataFrame, dims: tuple[str, ...], margins: tuple[Margin, ...], non_additive: Collection[str] = ()
) -> Lattice:
    """Number the cells and totals of ``frame`` and relate them (``margins`` already normalised)."""
    n = frame.height
    groups: list[Ints] = []
    keys: list[pl.DataFrame] = []
    starts: list[int] = []
    sizes: list[int] = []
    next_entry = n
    for margin in margins:
        index, key = group_index(frame, margin)
        size = key.height if margin else 1
        groups.append(index)
        keys.append(key)
        sizes.append(size)
        starts.append(next_entry)
        next_entry += size

    # Levels: -1 is the cells, i >= 0 the margin i. A level's entries and, for each cell, its entry there.
    def entry_of_cell(level: int) -> Ints:
        if level < 0:
            return np.arange(n, dtype=np.int64)
        return starts[level] + groups[level]

    levels = [*range(len(margins)), -1]
    level_dims = {i: set(m) for i, m in enumerate(margins)} | {-1: set(dims)}
    na = set(non_additive)
    eq_rows: list[tuple[Ints, Ints]] = []  # (parent entry per child, child entries)
    ub_rows: list[tuple[Ints, Ints]] = []
    lines: list[Ints] = []
    for parent in range(len(margins)):
        finer = [c for c in levels if level_dims[parent] < level_dims[c]]
        for child in finer:
            summed = level_dims[child] - level_dims[parent]
            cover = not any(level_dims[parent] < level_dims[m] < level_dims[child] for m in levels)
            # Each child entry once, with the parent entry that contains it.
            child_entries, first = np.unique(entry_of_cell(child), return_index=True)
            if not child_entries.size:
                continue  # an empty table: its grand total is a published zero
            parent_entries = entry_of_cell(parent)[first]
            if summed & na:
                ub_rows.append((parent_entries, child_entries))
            elif cover:
                eq_rows.append((parent_entries, child_entries))
                order = np.argsort(parent_entries, kind="stable")
                split = np.flatnonzero(np.diff(parent_entries[order])) + 1
                heads = parent_entries[order][np.r_[0, split]]
                for members, head in zip(np.split(child_entries[order], split), heads, strict=True):
                    lines.append(np.concatenate([[head], members]).astype(np.int64))
    total = next_entry
    cell_codes = [group_index(frame, (d,)) for d in dims]
    codes = np.full((total, len(dims)), -1, dtype=np.int64)
    for j, (index, _) in enumerate(cell_codes):
        codes[:n, j] = index
        for i, margin in enumerate(margins):
            if dims[j] in margin:
                codes[starts[i] + groups[i], j] = index
    categories = tuple(key.height for _, key in cell_codes)
    radix = np.cumprod([1, *(c + 1 for c in categories[:-1])]).astype(np.int64) if dims else np.ones(0, np.int64)
    encoded = (codes + 1) @ radix if dims else np.zeros(total, dtype=np.int64)
    order = np.argsort(encoded, kind="stable")
    return Lattice(
        dims=dims,
        margins=margins,
        n_cells=n,
        starts=tuple(starts),
        sizes=tuple(sizes),
        keys=tuple(keys),
        groups=tuple(groups),
        equalities=_equalities(eq_rows, total),
        inequalities=_inequalities(ub_rows, total),
        lines=tuple(lines),
        codes=codes,
        categories=categories,
        _keys=encoded[order],
        _order=order.astype(np.int64),
    )


def _equalities(blocks: list[tuple[Ints, Ints]], n_entries: int) -> sparse.csr_array:
    """``T - sum(children) == 0`` for each parent of each block."""
    rows: list[Ints] = []
    cols: list[Ints] = []
    vals: list[npt.NDArray[np.float64]] = []
    offset = 0
    for parents, children in blocks:
        ids, row = np.unique(parents, return_inverse=True)
        rows += [offset + np.arange(ids.size), offset + row]
        cols += [ids, children]
        vals += [np.ones(ids.size), -np.ones(children.size)]
        offset += ids.size
    return _csr(rows, cols, vals, offset, n_entries)


def _inequalities(blocks: list[tuple[Ints, Ints]], n_entries: int) -> sparse.csr_array:
    """``child - T <= 0`` for each child and ``T - sum(children) <= 0`` for each parent."""
    rows: list[Ints] = []
    cols: list[Ints] = []
    vals: list[npt.NDArray[np.float64]] = []
    offset = 0
    for parents, children in blocks:
        m = children.size
        rows += [offset + np.arange(m), offset + np.arange(m)]
        cols += [children, parents]
        vals += [np.ones(m), -np.ones(m)]
        offset += m
        ids, row = np.unique(parents, return_inverse=True)
        rows += [offset + np.arange(ids.size), offset + row]
        cols += [ids, children]
        vals += [np.ones(ids.size), -np.ones(m)]
        offset += ids.size
    return _csr(rows, cols, vals, offset, n_entries)


def _csr(
    rows: list[Ints], cols: list[Ints], vals: list[npt.NDArray[np.float64]], n_rows: int, n_cols: int
) -> sparse.csr_array:
    if not rows:
        return sparse.csr_array((0, n_cols))
    data = (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols)))
    return sparse.csr_array(sparse.coo_array(data, shape=(n_rows, n_cols)))


def supplied_totals(
    lattice: Lattice, index: int, totals: Mapping[Margin, pl.DataFrame], column: str
) -> npt.NDArray[np.float64] | None:
    """The totals of margin ``index`` given by the caller for ``column``, in entry order (None if not given)."""
    margin = lattice.margins[index]
    given = next((f for m, f in totals.items() if set(m) == set(margin)), None)
    if given is None:
        return None
    if column not in given.columns:
        raise ValueError(f"the totals given for margin {margin} have no column {column!r}")
    if not margin:
        if given.height != 1:
            raise ValueError("the grand total must be one row")
        return np.asarray(given.get_column(column).to_numpy(), dtype=np.float64)
    joined = lattice.keys[index].join(given.select(*margin, column), on=list(margin), how="left", nulls_equal=True)
    if joined.height != lattice.keys[index].height or joined.get_column(column).null_count():
        raise ValueError(f"the totals given for margin {margin} must have exactly one value per group of the cells")
    return np.asarray(joined.get_column(column).to_numpy(), dtype=np.float64)
