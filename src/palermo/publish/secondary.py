"""Which entries of a table (cells and totals) to hide so that no small count can be recovered.

Works on one count column as numbers over a :class:`~palermo.publish.lattice.Lattice`. The method:

1. **Primary**: every entry (cell or total) with ``0 < x < k`` is hidden (``0 <= x < k`` when zeros are
   sensitive).
2. **Lines** (optional pre-pass): while a total and its immediate children have exactly one hidden
   entry, hide the cheapest other entry of that line (cost = count + k). Cheap, but myopic.
3. **Audit and repair** against the attacker who knows every published number, the rule, that hidden
   entries are ``>= floor`` (1 when zeros are published) and the relations between totals and cells:
   by linear programming (HiGHS), each primary entry must be able to reach ``k`` (the attacker cannot
   even tell it is small), each other hidden entry must be able to move by 1 (it is not pinned). An
   entry that fails gets a *repair*: the cheapest change ``d`` of the whole table (min-cost LP over
   ``|d|``, hidden entries free) that keeps every relation and bound and moves it as far as needed;
   every published entry that ``d`` moves is hidden too, so ``x + d`` is a table the attacker cannot
   exclude. Hidden non-primary entries that the published numbers pin exactly are published again
   (that adds nothing the attacker did not know). Hiding more only widens every interval, so repairs
   never undo earlier protection; hiding everything positive is the always-safe fallback.

Guarantees are for an attacker using linear relaxation (as τ-ARGUS states them); in tables of three or
more dimensions an attacker using integer programming can occasionally do slightly better.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from .lattice import Lattice

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
TOL = 1e-6
MAX_ROUNDS = 20


def hide(lattice: Lattice, x: Floats, k: int, *, floor: int = 1, lines_first: bool = True) -> Bools:
    """Hidden entries of ``x`` (cells then totals): primary and secondary suppression."""
    sensitive = x < k if floor == 0 else (x > 0) & (x < k)
    eligible = np.ones_like(sensitive) if floor == 0 else x > 0
    cost = x + k
    hidden = sensitive.copy()
    if not hidden.any():
        return hidden
    if lines_first:
        _lines(lattice, hidden, eligible, cost)
    for _ in range(MAX_ROUNDS):
        weak, pinned, loose = _audit(lattice, x, hidden, sensitive, k, floor)
        hidden[pinned] = False
        if not weak.size and not loose.size:
            return hidden
        for entry in weak:
            _repair(lattice, x, hidden, eligible, cost, floor, int(entry), k - x[entry])
        for entry in loose:
            _repair(lattice, x, hidden, eligible, cost, floor, int(entry), 1.0)
    hidden |= eligible  # the always-safe fallback: every positive count hidden
    return hidden


def _lines(lattice: Lattice, hidden: Bools, eligible: Bools, cost: Floats) -> None:
    """While some line has exactly one hidden entry, hide its cheapest other eligible entry."""
    if not lattice.lines:
        return
    members = np.concatenate(lattice.lines)
    starts = np.cumsum([0, *(len(line) for line in lattice.lines[:-1])])
    while True:
        counts = np.add.reduceat(hidden[members].astype(np.int64), starts)
        changed = False
        for index in np.flatnonzero(counts == 1):
            line = lattice.lines[index]
            if hidden[line].sum() != 1:
                continue
            free = line[~hidden[line] & eligible[line]]
            if free.size:
                hidden[free[np.argmin(cost[free])]] = True
                changed = True
        if not changed:
            return


def _audit(
    lattice: Lattice, x: Floats, hidden: Bools, sensitive: Bools, k: int, floor: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Hidden entries that are under-protected: (primary below target, others pinned exactly, others loose)."""
    unknown = np.flatnonzero(hidden)
    known = np.where(hidden, 0.0, x)
    a_eq, a_ub = lattice.equalities, lattice.inequalities
    b_eq, b_ub = -(a_eq @ known), -(a_ub @ known)
    weak: list[int] = []
    pinned: list[int] = []
    loose: list[int] = []
    for part in _components(sparse.vstack([a_eq, a_ub]).tocsc()[:, unknown], unknown):
        problem = _Problem(a_eq, b_eq, a_ub, b_ub, part, floor)
        if problem.free:
            continue  # no published relation touches these entries: nothing to recover
        up = [(int(e), 1.0, float(k) if sensitive[e] else x[e] + 1) for e in part]
        high = problem.reach(up)
        short = [i for i, (_, _, goal) in enumerate(up) if high[i] < goal - TOL]
        weak += [up[i][0] for i in short if sensitive[up[i][0]]]
        others = [up[i][0] for i in short if not sensitive[up[i][0]]]
        if not others:
            continue
        low = -problem.reach([(e, -1.0, -(x[e] - 1)) for e in others])
        width = high[[self_index for self_index in short if not sensitive[up[self_index][0]]]] - low
        pinned += [e for e, w in zip(others, width, strict=True) if w < TOL]
        loose += [e for e, w in zip(others, width, strict=True) if TOL <= w < 1 - TOL]
    as_array = np.asarray
    return as_array(weak, dtype=np.int64), as_array(pinned, dtype=np.int64), as_array(loose, dtype=np.int64)


def _components(matrix: sparse.csc_array, unknown: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Groups of hidden entries linked through relations (each group is a separate attack problem)."""
    if not unknown.size:
        return []
    b = sparse.csr_array(matrix != 0, dtype=np.int8)
    b = b[np.flatnonzero(b.sum(axis=1))]
    graph = sparse.block_array([[None, b.T], [b, None]]) if b.shape[0] else sparse.csr_array((unknown.size,) * 2)
    _, labels = connected_components(graph, directed=False)
    labels = labels[: unknown.size]
    order = np.argsort(labels, kind="stable")
    return np.split(unknown[order], np.flatnonzero(np.diff(labels[order])) + 1)


class _Problem:
    """The attacker's linear program restricted to one group of hidden entries."""

    def __init__(
        self,
        a_eq: sparse.csr_array,
        b_eq: Floats,
        a_ub: sparse.csr_array,
        b_ub: Floats,
        part: npt.NDArray[np.int64],
        floor: int,
    ) -> None:
        self.part = part
        self.position = {int(e): i for i, e in enumerate(part)}
        eq = a_eq[:, part]
        ub = a_ub[:, part]
        eq_rows = np.flatnonzero(np.diff(eq.tocsr().indptr))
        ub_rows = np.flatnonzero(np.diff(ub.tocsr().indptr))
        self.eq, self.b_eq = eq[eq_rows], b_eq[eq_rows]
        self.ub, self.b_ub = ub[ub_rows], b_ub[ub_rows]
        self.floor = floor
        self.free = not (eq_rows.size or ub_rows.size)

    def reach(self, goals: list[tuple[int, float, float]]) -> Floats:
        """For goals ``sign * x[entry] >= goal``, how far each can get (capped at the goal).

        Joint LPs maximise the sum of ``min(sign * x[entry], goal)`` over the goals not yet reached, while
        that reaches new ones; the rest are maximised one at a time (each solution checked for all).
        """
        sign = np.array([s for _, s, _ in goals])
        goal = np.array([g for _, _, g in goals])
        column = np.array([self.position[e] for e, _, _ in goals], dtype=np.int64)
        best = np.full(len(goals), -np.inf)
        todo = np.arange(len(goals))
        while todo.size:
            y = self._solve([goals[i] for i in todo])
            best = np.maximum(best, np.minimum(sign * y[column], goal))
            short = todo[best[todo] < goal[todo] - TOL]
            if short.size == todo.size:
                break
            todo = short
        for i in todo:
            if best[i] < goal[i] - TOL:
                y = self._solve([goals[i]])
                best = np.maximum(best, np.minimum(sign * y[column], goal))
        return best

    def _solve(self, goals: list[tuple[int, float, float]]) -> Floats:
        """A point of the attacker's polytope maximising the sum of the capped goals."""
        n, g = self.part.size, len(goals)
        pick = sparse.csr_array(
            (
                [-sign for _, sign, _ in goals],
                ([self.position[e] for e, _, _ in goals], np.arange(g)),
            ),
            shape=(n, g),
        ).T
        a_ub = sparse.block_array([[self.ub, None], [pick, sparse.eye_array(g)]], format="csr")
        b_ub = np.concatenate([self.b_ub, np.zeros(g)])
        a_eq = sparse.hstack([self.eq, sparse.csr_array((self.eq.shape[0], g))], format="csr")
        bounds = [(self.floor, None)] * n + [(None, goal) for _, _, goal in goals]
        c = np.concatenate([np.zeros(n), -np.ones(g)])
        res = linprog(
            c,
            A_ub=a_ub if a_ub.shape[0] else None,
            b_ub=b_ub if a_ub.shape[0] else None,
            A_eq=a_eq if a_eq.shape[0] else None,
            b_eq=self.b_eq if a_eq.shape[0] else None,
            bounds=bounds,
            method="highs",
        )
        if res.status != 0:
            raise RuntimeError(f"the attacker's linear program failed: {res.message}")
        return np.asarray(res.x[:n], dtype=np.float64)


def _repair(
    lattice: Lattice,
    x: Floats,
    hidden: Bools,
    eligible: Bools,
    cost: Floats,
    floor: int,
    entry: int,
    need: float,
) -> None:
    """Hide the published entries of the cheapest change of the table that raises ``entry`` by ``need``."""
    n = x.size
    movable = hidden | eligible
    unit = np.where(hidden, 0.0, cost)
    up = [(0.0, None if m else 0.0) for m in movable]
    down = [(0.0, max(x[j] - floor, 0.0) if movable[j] else 0.0) for j in range(n)]
    up[entry] = (need, need)
    down[entry] = (0.0, 0.0)
    a_eq, a_ub = lattice.equalities, lattice.inequalities
    res = linprog(
        np.concatenate([unit, unit]),
        A_ub=sparse.hstack([a_ub, -a_ub], format="csr") if a_ub.shape[0] else None,
        b_ub=-(a_ub @ x) if a_ub.shape[0] else None,
        A_eq=sparse.hstack([a_eq, -a_eq], format="csr") if a_eq.shape[0] else None,
        b_eq=np.zeros(a_eq.shape[0]) if a_eq.shape[0] else None,
        bounds=up + down,
        method="highs",
    )
    if res.status != 0:
        hidden |= eligible
        return
    change = np.abs(res.x[:n] - res.x[n:])
    hidden |= (change > 1e-9) & eligible
