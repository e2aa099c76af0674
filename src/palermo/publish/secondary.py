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
   entry that fails gets a *repair*: the cheapest change ``d`` of the table (min-cost LP over ``|d|``,
   cost = count + k, hidden entries free) that keeps every relation and bound and moves it as far as
   needed; every published entry that ``d`` moves is hidden too, so ``x + d`` is a table the attacker
   cannot exclude. After every ``BATCH`` repairs that hid something, the rest are audited again
   jointly (what was hidden often protects them). Hidden non-primary entries that the published
   numbers pin exactly are published again (that adds nothing the attacker did not know). Hiding more
   only widens every interval, so repairs never undo earlier protection; hiding every positive count
   is the always-safe fallback.

Guarantees are for an attacker using linear relaxation (as τ-ARGUS states them); in tables of three or
more dimensions an attacker using integer programming can occasionally do slightly better.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import linprog as _linprog
from scipy.sparse.csgraph import connected_components

from .lattice import Lattice

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
linprog: Callable[..., Any] = _linprog  # the stubs do not admit sparse matrices, which HiGHS takes
TOL = 1e-6
BOX = 4
BATCH = 10
STALLS = 3


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
    goal = np.where(sensitive, float(k), x + 1)
    settled = ~hidden
    for _ in range(x.size + 10):  # each round hides more or settles everything; the cap is a safeguard
        todo = hidden & ~settled
        if not todo.any():
            return hidden
        short, pinned = _audit(lattice, x, hidden, sensitive, todo, goal, floor)
        settled |= todo
        hidden[pinned] = False
        repaired = 0
        for at, entry in enumerate(short):
            before = hidden.copy()
            _repair(lattice, x, hidden, eligible, cost, floor, int(entry), goal[entry] - x[entry])
            grown = hidden & ~before
            settled &= ~grown
            repaired += bool(grown.any())
            if repaired == BATCH:
                # What was hidden may protect the rest; a joint audit is cheaper than repairing each.
                settled[short[at + 1 :]] = False
                break
    return hidden | eligible  # the always-safe fallback: every positive count hidden


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
    lattice: Lattice, x: Floats, hidden: Bools, sensitive: Bools, todo: Bools, goal: Floats, floor: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Of the ``todo`` hidden entries, those that may fall short of their goal, and those pinned exactly.

    A primary entry's goal is ``k``, another hidden entry's ``x + 1``. Joint LPs certify most goals at
    once; an uncertified primary is left to :func:`_repair` (whose min-cost change is zero when it is in
    fact protected); an uncertified other entry is classified by its own min and max.
    """
    unknown = np.flatnonzero(hidden)
    known = np.where(hidden, 0.0, x)
    a_eq, a_ub = lattice.equalities, lattice.inequalities
    b_eq, b_ub = -(a_eq @ known), -(a_ub @ known)
    short: list[int] = []
    pinned: list[int] = []
    for part in _components(sparse.vstack([a_eq, a_ub]).tocsc()[:, unknown], unknown):
        targets = part[todo[part]]
        if not targets.size:
            continue
        problem = _Problem(a_eq, b_eq, a_ub, b_ub, part, floor)
        if problem.free:
            continue  # no published relation touches these entries: nothing to recover
        high = problem.reach([(int(e), 1.0, goal[e]) for e in targets], alone=False)
        below = targets[high < goal[targets] - TOL]
        secondary = below[~sensitive[below]]
        short += [int(e) for e in below[sensitive[below]]]
        if not secondary.size:
            continue
        up = problem.reach([(int(e), 1.0, x[e] + 1) for e in secondary], alone=True)  # exact, not a bound
        low = -problem.reach([(int(e), -1.0, -(x[e] - 1)) for e in secondary], alone=True)
        width = up - low
        pinned += [int(e) for e in secondary[width < TOL]]
        short += [int(e) for e in secondary[(width >= TOL) & (width < 1 - TOL)]]
    return np.asarray(short, dtype=np.int64), np.asarray(pinned, dtype=np.int64)


def _components(matrix: sparse.csc_array, unknown: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Groups of hidden entries linked through relations (each group is a separate attack problem)."""
    if not unknown.size:
        return []
    b = sparse.csr_array(matrix, copy=True)
    b.data = np.ones_like(b.data)
    b = b[np.flatnonzero(np.diff(b.indptr))]
    rows, cols = b.nonzero()
    size = unknown.size + b.shape[0]
    edges = (np.ones(rows.size), (cols, unknown.size + rows))  # entry -- relation, a bipartite graph
    graph = sparse.csr_array(sparse.coo_array(edges, shape=(size, size)))
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

    def reach(self, goals: list[tuple[int, float, float]], *, alone: bool) -> Floats:
        """For goals ``sign * x[entry] >= goal``, how far each can get (capped at the goal).

        Joint LPs maximise a weighted sum of ``min(sign * x[entry], goal)`` over the goals not yet reached, while
        that reaches new ones; with ``alone`` the rest are then maximised one at a time (exact answers),
        otherwise they are left as lower bounds.
        """
        sign = np.array([s for _, s, _ in goals])
        goal = np.array([g for _, _, g in goals])
        column = np.array([self.position[e] for e, _, _ in goals], dtype=np.int64)
        best = np.full(len(goals), -np.inf)
        todo = np.arange(len(goals))
        stalled = 0
        while todo.size and stalled < STALLS:
            y = self._solve([goals[i] for i in todo], shift=stalled)
            best = np.maximum(best, np.minimum(sign * y[column], goal))
            short = todo[best[todo] < goal[todo] - TOL]
            stalled = stalled + 1 if short.size == todo.size else 0
            todo = short
        for i in todo if alone else ():
            if best[i] < goal[i] - TOL:
                y = self._solve([goals[i]])
                best = np.maximum(best, np.minimum(sign * y[column], goal))
        return best

    def _solve(self, goals: list[tuple[int, float, float]], shift: int = 0) -> Floats:
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
        # Distinct weights make the optimum a vertex that takes some goals all the way rather than
        # sharing slack evenly among them (which would reach none).
        weight = 1 + ((np.arange(g) + shift * 7919) * 0.6180339887) % 1
        c = np.concatenate([np.zeros(n), -weight])
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
    """Hide the published entries of the cheapest change of the table that raises ``entry`` by ``need``.

    The change may touch only some entries (the others stay as they are): first those near ``entry``
    (a box of its ``BOX`` cheapest neighbours along each dimension), accepted only if it hides nothing
    new (the entry was protected already: a cheap check); then the box and every hidden entry; then the
    whole table. Failing all (which the LP never should), every positive count is hidden.
    """
    box = _box(lattice, hidden, eligible, cost, entry, BOX)
    scopes = [np.arange(x.size)] if box is None else [box, np.union1d(box, np.flatnonzero(hidden)), np.arange(x.size)]
    for attempt, scope in enumerate(scopes):
        change = _cheapest_change(lattice, x, hidden, eligible, cost, floor, scope, entry, need)
        if change is None:
            continue
        new = (np.abs(change) > 1e-9) & eligible[scope] & ~hidden[scope]
        if attempt == 0 and len(scopes) > 1 and new.any():
            continue
        hidden[scope[new]] = True
        return
    hidden |= eligible


def _box(
    lattice: Lattice, hidden: Bools, eligible: Bools, cost: Floats, entry: int, width: int
) -> npt.NDArray[np.int64] | None:
    """Entries whose categories are, in every dimension, the entry's or one of its ``width`` cheapest neighbours'.

    None when the box would be the whole table anyway.
    """
    own = lattice.codes[entry]
    inside = np.ones(lattice.codes.shape[0], dtype=np.bool_)
    whole = True
    for j, category in enumerate(own):
        if category < 0 or lattice.categories[j] <= width + 1:
            continue
        others = np.delete(np.arange(lattice.categories[j]), category)
        probe = np.repeat(own[None, :], others.size, axis=0)
        probe[:, j] = others
        found = lattice.find(probe)
        price = np.where(found < 0, np.inf, 0.0)
        ok = found >= 0
        price[ok] = np.where(hidden[found[ok]], 0.0, np.where(eligible[found[ok]], cost[found[ok]], np.inf))
        keep = others[np.argsort(price, kind="stable")[:width]]
        column = lattice.codes[:, j]
        inside &= (column < 0) | np.isin(column, [category, *keep])
        whole = False
    return None if whole else np.flatnonzero(inside)


def _cheapest_change(
    lattice: Lattice,
    x: Floats,
    hidden: Bools,
    eligible: Bools,
    cost: Floats,
    floor: int,
    scope: npt.NDArray[np.int64],
    entry: int,
    need: float,
) -> Floats | None:
    """Min-cost ``d`` (zero outside ``scope``) keeping every relation and bound, with ``d[entry] == need``."""
    n = scope.size
    movable = (hidden | eligible)[scope]
    unit = np.where(hidden[scope], 0.0, cost[scope])
    up: list[tuple[float, float | None]] = [(0.0, None if m else 0.0) for m in movable]
    down: list[tuple[float, float | None]] = [
        (0.0, max(v - floor, 0.0) if m else 0.0) for v, m in zip(x[scope], movable, strict=True)
    ]
    where = int(np.searchsorted(scope, entry))
    up[where] = (need, need)
    down[where] = (0.0, 0.0)
    a_eq = lattice.equalities[:, scope]
    a_ub_full = lattice.inequalities
    a_ub = a_ub_full[:, scope]
    eq_rows = np.flatnonzero(np.diff(a_eq.tocsr().indptr))
    ub_rows = np.flatnonzero(np.diff(a_ub.tocsr().indptr))
    a_eq, a_ub = a_eq[eq_rows], a_ub[ub_rows]
    res = linprog(
        np.concatenate([unit, unit]),
        A_ub=sparse.hstack([a_ub, -a_ub], format="csr") if ub_rows.size else None,
        b_ub=-(a_ub_full @ x)[ub_rows] if ub_rows.size else None,
        A_eq=sparse.hstack([a_eq, -a_eq], format="csr") if eq_rows.size else None,
        b_eq=np.zeros(eq_rows.size) if eq_rows.size else None,
        bounds=up + down,
        method="highs",
    )
    if res.status != 0:
        return None
    return np.asarray(res.x[:n] - res.x[n:], dtype=np.float64)
