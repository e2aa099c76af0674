"""An attacker's tool: how tightly can each suppressed count be pinned from what a table publishes?

Written independently of the suppression code on purpose, from the published frames only (cells with
``<count>_suppressed`` flags and the totals of each margin), so that tests of suppression have an
adversary that does not share its assumptions. For each suppressed cell or total it solves two linear
programs (min and max; with ``integer=True`` integer programs) over every relation the publication
implies: a total is the sum of the cells or finer totals below it (only ``child <= total <= sum`` over a
non-additive dimension) and suppressed counts are at least ``floor`` (1 when zeros are published).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.optimize import linprog as _linprog

from ..analyse.model import ResultTable

Margin = tuple[str, ...]
linprog: Callable[..., Any] = _linprog  # the stubs do not admit sparse matrices, which HiGHS takes


@dataclass(frozen=True)
class Recovery:
    """The interval an attacker can prove for one suppressed count."""

    column: str
    level: Margin
    """The dimensions of the count: ``table.dims`` for a cell, the margin for a total."""
    key: tuple[object, ...]
    lower: float
    upper: float
    k: int

    @property
    def recovered(self) -> bool:
        """Pinned to one integer."""
        return self.upper - self.lower < 1

    @property
    def proven_small(self) -> bool:
        """Proven to be below k (so the attacker learns it is a small count)."""
        return self.upper < self.k

    @property
    def disclosed(self) -> bool:
        """Either of the above."""
        return self.recovered or self.proven_small


def audit_recoverability(
    published: ResultTable,
    totals: Mapping[Margin, pl.DataFrame],
    *,
    k: int = 11,
    floor: int = 1,
    non_additive: Collection[str] = (),
    integer: bool = False,
) -> list[Recovery]:
    """The attacker's bounds on every suppressed cell and total of ``published`` (and its published totals)."""
    out: list[Recovery] = []
    for column in published.counts:
        out += _attack_column(published, totals, column, k, floor, set(non_additive), integer)
    return out


def _attack_column(
    published: ResultTable,
    totals: Mapping[Margin, pl.DataFrame],
    column: str,
    k: int,
    floor: int,
    non_additive: set[str],
    integer: bool,
) -> list[Recovery]:
    dims = published.dims
    levels: list[tuple[Margin, pl.DataFrame]] = [(dims, published.frame)]
    levels += [(tuple(d for d in dims if d in m), f) for m, f in totals.items() if set(m) != set(dims)]
    values: list[float] = []
    labels: list[tuple[Margin, tuple[object, ...]]] = []
    offsets: list[int] = []
    for level, frame in levels:
        offsets.append(len(values))
        hidden = frame.get_column(f"{column}_suppressed") | frame.get_column(column).is_null()
        values += [math.nan if h else float(v) for h, v in zip(hidden, frame.get_column(column), strict=True)]
        labels += [(level, tuple(r)) for r in frame.select(level).iter_rows()] if level else [((), ())]
    x = np.asarray(values)
    eq: list[tuple[list[int], list[float]]] = []
    ub: list[tuple[list[int], list[float]]] = []
    for p, (parent, parent_frame) in enumerate(levels):
        for c, (child, child_frame) in enumerate(levels):
            if not set(parent) < set(child):
                continue
            pairs = _pairs(parent_frame, child_frame, parent)
            additive = not (set(child) - set(parent)) & non_additive
            for parent_row, child_rows in pairs.items():
                pid = offsets[p] + parent_row
                cids = [offsets[c] + r for r in child_rows]
                if additive:
                    eq.append(([pid, *cids], [1.0] + [-1.0] * len(cids)))
                else:
                    ub.append(([pid, *cids], [1.0] + [-1.0] * len(cids)))
                    ub += [([cid, pid], [1.0, -1.0]) for cid in cids]
    unknown = np.flatnonzero(np.isnan(x))
    a_eq, b_eq = _system(eq, x, unknown)
    a_ub, b_ub = _system(ub, x, unknown)
    out = []
    for i, entry in enumerate(unknown):
        lower = _optimise(a_eq, b_eq, a_ub, b_ub, unknown.size, i, 1.0, floor, integer)
        upper = -_optimise(a_eq, b_eq, a_ub, b_ub, unknown.size, i, -1.0, floor, integer)
        level, key = labels[entry]
        out.append(Recovery(column, level, key, lower, upper, k))
    return out


def _pairs(parent: pl.DataFrame, child: pl.DataFrame, on: Margin) -> dict[int, list[int]]:
    """For each row of ``parent``, the rows of ``child`` it totals (matching on ``on``)."""
    left = parent.with_row_index("_p").select("_p", *on)
    right = child.with_row_index("_c").select("_c", *on)
    joined = left.join(right, how="cross") if not on else left.join(right, on=list(on), nulls_equal=True)
    grouped = joined.group_by("_p").agg(pl.col("_c"))
    return {int(p): [int(c) for c in cs] for p, cs in grouped.iter_rows()}


def _system(
    rows: list[tuple[list[int], list[float]]], x: npt.NDArray[np.float64], unknown: npt.NDArray[np.int64]
) -> tuple[sparse.csr_array, npt.NDArray[np.float64]]:
    """Rows over the unknowns; the known part moves to the right-hand side (``a @ y (op) b``)."""
    position = {int(e): i for i, e in enumerate(unknown)}
    r: list[int] = []
    c: list[int] = []
    v: list[float] = []
    b: list[float] = []
    for ids, coefs in rows:
        if not any(i in position for i in ids):
            continue
        const = 0.0
        for i, coef in zip(ids, coefs, strict=True):
            if i in position:
                r.append(len(b))
                c.append(position[i])
                v.append(coef)
            else:
                const += coef * x[i]
        b.append(-const)
    return sparse.csr_array((v, (r, c)), shape=(len(b), unknown.size)), np.asarray(b, dtype=np.float64)


def _optimise(
    a_eq: sparse.csr_array,
    b_eq: npt.NDArray[np.float64],
    a_ub: sparse.csr_array,
    b_ub: npt.NDArray[np.float64],
    n: int,
    target: int,
    sign: float,
    floor: int,
    integer: bool,
) -> float:
    """The minimum of ``sign * y[target]``, or -inf when it has none."""
    c = np.zeros(n)
    c[target] = sign
    if integer:
        constraints = []
        if a_eq.shape[0]:
            constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
        if a_ub.shape[0]:
            constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
        res = milp(c, constraints=constraints, integrality=np.ones(n, dtype=np.int64), bounds=Bounds(floor, np.inf))
    else:
        res = linprog(
            c,
            A_ub=a_ub if a_ub.shape[0] else None,
            b_ub=b_ub if a_ub.shape[0] else None,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=b_eq if a_eq.shape[0] else None,
            bounds=(floor, None),
            method="highs",
        )
    if res.status == 3 or (integer and res.status != 0 and "unbounded" in str(res.message).lower()):
        return -math.inf
    if res.status != 0:
        raise RuntimeError(f"the published figures are inconsistent: {res.message}")
    return float(res.fun)
