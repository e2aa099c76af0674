"""Utility and disclosure risk of any microdata release (k-anonymous, synthetic, ...) against the real data.

Independent of how the release was made: it sees the real frame and the released frame only. Both are
compared as text on a *common generalisation*: each released column's level in its hierarchy
(:mod:`palermo.publish.hierarchy`) is found from its values (:func:`common_generalisation`: the lowest
level whose generalised real values cover most released records), and the real data is generalised to
it. A missing value is a category of its own throughout.

- marginals: for every set of 1, 2 and 3 columns, the mean absolute error of the counts of the
  combinations present in either frame (``mae``; ``mae_scaled`` rescales the release to the real total);
- combinations: how many real combinations the release preserves and how many it fabricates (present in
  the release, absent from the real data), per width and over all columns;
- uniqueness: the share of records unique, and in classes smaller than k, on the quasi-identifiers, in
  the real data (as generalised) and in the release;
- linkage: an attacker holding a real record's quasi-identifiers (and the published hierarchies) looks
  for it in the release: the share of real records matched by exactly one released record, and, given
  ids linking both frames, the share so matched to the right record.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from .hierarchy import Hierarchy, as_text, generalise_frame, hierarchy_for

DEFAULT_K = 11
_TOTALS = ("real", "released", "preserved", "fabricated")


def _text(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame([as_text(frame.get_column(c)) for c in columns]) if columns else pl.DataFrame()


def common_generalisation(
    real: pl.DataFrame, release: pl.DataFrame, columns: Sequence[str], hierarchies: dict[str, Hierarchy] | None = None
) -> dict[str, int]:
    """Per column, the level of its hierarchy at which the release's values are expressed."""
    out: dict[str, int] = {}
    for column in columns:
        hierarchy = hierarchy_for(column, hierarchies)
        released = as_text(release.get_column(column)).drop_nulls().value_counts()
        values = dict(zip(released.get_column(column).to_list(), released.get_column("count").to_list(), strict=True))
        distinct = as_text(real.get_column(column)).unique().drop_nulls().to_list()
        best, best_cover = 0, -1
        for level in range(hierarchy.height + 1):
            domain = set(hierarchy.generalise(distinct, level))
            cover = sum(n for v, n in values.items() if v in domain)
            if cover > best_cover:
                best, best_cover = level, cover
        out[column] = best
    return out


def _counts(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return frame.group_by(columns).len()


def marginal_errors(
    real: pl.DataFrame, release: pl.DataFrame, columns: Sequence[str], widths: Sequence[int] = (1, 2, 3)
) -> pl.DataFrame:
    """Per set of columns: width, columns (joined by ", "), cells, mae, mae_scaled (frames already comparable)."""
    scale = real.height / release.height if release.height else 0.0
    rows: list[dict[str, object]] = []
    for width in widths:
        for combo in itertools.combinations(columns, width):
            cols = list(combo)
            joined = (
                _counts(real, cols)
                .join(_counts(release, cols), on=cols, how="full", nulls_equal=True, coalesce=True, suffix="_rel")
                .select(
                    a=pl.col("len").fill_null(0).cast(pl.Float64), b=pl.col("len_rel").fill_null(0).cast(pl.Float64)
                )
            )
            errors = joined.select(
                mae=(pl.col("a") - pl.col("b")).abs().mean(), scaled=(pl.col("a") - pl.col("b") * scale).abs().mean()
            )
            rows.append(
                {
                    "width": width,
                    "columns": ", ".join(cols),
                    "cells": joined.height,
                    "mae": errors.item(0, "mae") or 0.0,
                    "mae_scaled": errors.item(0, "scaled") or 0.0,
                }
            )
    schema = {"width": pl.Int64, "columns": pl.String, "cells": pl.Int64, "mae": pl.Float64, "mae_scaled": pl.Float64}
    return pl.DataFrame(rows, schema=schema)


def marginal_cells(real: pl.DataFrame, release: pl.DataFrame, columns: Sequence[str], width: int = 2) -> pl.DataFrame:
    """Every cell of every marginal of ``width`` columns: columns (joined by ", "), real and released counts."""
    parts: list[pl.DataFrame] = []
    for combo in itertools.combinations(columns, width):
        cols = list(combo)
        joined = _counts(real, cols).join(
            _counts(release, cols), on=cols, how="full", nulls_equal=True, coalesce=True, suffix="_rel"
        )
        parts.append(
            joined.select(
                columns=pl.lit(", ".join(cols)),
                real=pl.col("len").fill_null(0).cast(pl.Int64),
                released=pl.col("len_rel").fill_null(0).cast(pl.Int64),
            )
        )
    schema = {"columns": pl.String, "real": pl.Int64, "released": pl.Int64}
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def combinations(
    real: pl.DataFrame, release: pl.DataFrame, columns: Sequence[str], widths: Sequence[int] = (1, 2, 3)
) -> pl.DataFrame:
    """Per width (0 = all columns at once): combinations real, released, preserved and fabricated, summed."""
    rows: list[dict[str, object]] = []
    sets = [(w, list(itertools.combinations(columns, w))) for w in widths if w <= len(columns)]
    for width, combos in [*sets, (0, [tuple(columns)])]:
        totals = dict.fromkeys(_TOTALS, 0)
        for combo in combos:
            cols = list(combo)
            a, b = real.select(cols).unique(), release.select(cols).unique()
            totals["real"] += a.height
            totals["released"] += b.height
            totals["preserved"] += a.join(b, on=cols, how="semi", nulls_equal=True).height
            totals["fabricated"] += b.join(a, on=cols, how="anti", nulls_equal=True).height
        rows.append({"width": width, **totals})
    frame = pl.DataFrame(rows, schema={"width": pl.Int64, **dict.fromkeys(_TOTALS, pl.Int64)})
    return frame.with_columns(
        preserved_share=pl.col("preserved") / pl.col("real"), fabricated_share=pl.col("fabricated") / pl.col("released")
    )


def uniqueness(frame: pl.DataFrame, quasi_identifiers: Sequence[str], k: int = DEFAULT_K) -> dict[str, float]:
    """Records, classes, and the shares of records unique and in classes smaller than ``k``."""
    qis = list(quasi_identifiers)
    if frame.height == 0:
        return {"records": 0, "classes": 0, "unique_share": 0.0, "below_k_share": 0.0}
    sizes = frame.select(pl.len().over(qis).alias("size")).get_column("size")
    return {
        "records": frame.height,
        "classes": frame.select(qis).n_unique(),
        "unique_share": int((sizes == 1).sum()) / frame.height,
        "below_k_share": int((sizes < k).sum()) / frame.height,
    }


@dataclass(frozen=True)
class Linkage:
    """What an attacker matching real records to a release on the quasi-identifiers achieves."""

    targets: int
    matched: int
    """Real records with at least one released record of the same quasi-identifiers."""
    unique: int
    """Real records with exactly one."""
    correct: int | None
    """Of those, matched to the released record of the same person (None without ids)."""

    @property
    def unique_share(self) -> float:
        """Share of real records singled out."""
        return self.unique / self.targets if self.targets else 0.0

    @property
    def correct_share(self) -> float | None:
        """Share of real records re-identified (None without ids)."""
        return None if self.correct is None else (self.correct / self.targets if self.targets else 0.0)


def linkage_attack(
    real: pl.DataFrame,
    release: pl.DataFrame,
    quasi_identifiers: Sequence[str],
    *,
    real_ids: pl.Series | None = None,
    release_ids: pl.Series | None = None,
) -> Linkage:
    """Match every real record to the release on ``quasi_identifiers`` (frames already comparable)."""
    qis = list(quasi_identifiers)
    classes = release.select(qis).group_by(qis).len()
    targets = real.select(qis).join(classes, on=qis, how="left", nulls_equal=True, coalesce=True)
    sizes = targets.get_column("len").fill_null(0)
    correct: int | None = None
    if real_ids is not None and release_ids is not None:
        singles = (
            release.select(qis)
            .with_columns(release_ids.alias("__rid"))
            .join(classes.filter(pl.col("len") == 1), on=qis, how="semi", nulls_equal=True)
        )
        hits = real.select(qis).with_columns(real_ids.alias("__id")).join(singles, on=qis, nulls_equal=True)
        correct = hits.filter(pl.col("__id") == pl.col("__rid")).height
    return Linkage(real.height, int((sizes > 0).sum()), int((sizes == 1).sum()), correct)


@dataclass(frozen=True)
class UtilityReport:
    """Utility and risk of a release; frames ready to print or chart."""

    columns: tuple[str, ...]
    levels: dict[str, int]
    """The common generalisation: each column's level, at which the real data was compared."""
    marginals: pl.DataFrame
    combinations: pl.DataFrame
    uniqueness: pl.DataFrame
    """One row per dataset ("real", "release"): records, classes, unique_share, below_k_share."""
    linkage: Linkage
    cells: pl.DataFrame = field(default_factory=pl.DataFrame)
    """Every cell of every 2-way marginal: columns, real and released counts (for charts)."""

    def mae(self, width: int) -> float:
        """Mean over all sets of ``width`` columns of the marginals' mean absolute error."""
        chosen = self.marginals.filter(pl.col("width") == width).get_column("mae")
        return float(chosen.sum()) / chosen.len() if chosen.len() else 0.0

    def summary(self) -> pl.DataFrame:
        """Mean MAE (raw and scaled) per width."""
        return self.marginals.group_by("width").agg(pl.col("mae", "mae_scaled").mean()).sort("width")


def utility_report(
    real: pl.DataFrame,
    release: pl.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    quasi_identifiers: Sequence[str] | None = None,
    k: int = DEFAULT_K,
    real_ids: pl.Series | None = None,
    release_ids: pl.Series | None = None,
    hierarchies: dict[str, Hierarchy] | None = None,
    widths: Sequence[int] = (1, 2, 3),
    levels: dict[str, int] | None = None,
) -> UtilityReport:
    """Compare ``release`` with ``real`` over ``columns`` (default: the columns they share).

    ``quasi_identifiers`` (default: ``columns``) are those of the uniqueness and linkage measures.
    ``real_ids`` / ``release_ids`` say which real record each row is (for a k-anonymous release,
    ``KAnonResult.source_rows`` against the real frame's row numbers) and make the attack count correct links.
    ``levels`` imposes the common generalisation (e.g. a k-anonymous release's, to compare a synthetic
    release on the same footing); both frames are then generalised to it from level 0.
    """
    cols = list(columns) if columns is not None else [c for c in release.columns if c in real.columns]
    missing = [c for c in cols if c not in real.columns or c not in release.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in both frames")
    qis = list(quasi_identifiers) if quasi_identifiers is not None else cols
    if set(qis) - set(cols):
        raise ValueError("quasi-identifiers must be among the compared columns")
    if levels is None:
        levels = common_generalisation(real, release, cols, hierarchies)
        b = _text(release, cols)
    else:
        levels = {c: levels.get(c, 0) for c in cols}
        b = generalise_frame(_text(release, cols), levels, hierarchies)
    a = generalise_frame(_text(real, cols), levels, hierarchies)
    unique_rows = [{"dataset": name, **uniqueness(f, qis, k)} for name, f in (("real", a), ("release", b))]
    return UtilityReport(
        columns=tuple(cols),
        levels=levels,
        marginals=marginal_errors(a, b, cols, widths),
        combinations=combinations(a, b, cols, widths),
        uniqueness=pl.DataFrame(unique_rows),
        linkage=linkage_attack(a, b, qis, real_ids=real_ids, release_ids=release_ids),
        cells=marginal_cells(a, b, cols, 2),
    )
