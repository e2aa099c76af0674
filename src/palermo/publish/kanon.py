"""k-anonymous case microdata, like CTDC's global download (k = 11): full-domain generalisation, then local suppression.

Quasi-identifiers. The columns an attacker may know of a victim from elsewhere (a news story, a court
file, a neighbour): by default the year of registration, sex, age band, citizenship, country of
exploitation and the forms of exploitation (:data:`DEFAULT_QUASI_IDENTIFIERS`). Only these are released,
generalised; a column passed in ``attributes`` is released as it is, so it must identify no one.

Method. Each quasi-identifier has a hierarchy (:mod:`palermo.publish.hierarchy`); a release puts every
record's column at the same level (full-domain generalisation). The search is greedy and bottom-up, in
the manner of Datafly but loss-aware: from the raw data, raise one column by one level at a time,
choosing the step that removes most records from classes smaller than k per unit of information lost
(the loss metric below); stop once at most ``max_suppressed`` of the records are in such classes, then
lower again every column that can be lowered without breaking that bound. The records still in classes
smaller than k are suppressed (left out); the rest is shuffled (source order can identify). Each step
evaluates a candidate with one polars ``group_by`` over integer codes of the distinct values.

Information loss. ``loss_metric``: Iyengar's LM, per column the mean over records of
(values merged into the record's generalised value - 1) / (distinct values - 1), a suppressed record
counting 1; ``precision_loss``: Sweeney's, the mean of level / height; ``discernibility``: the sum of
squared class sizes plus records suppressed x records; ``normalised_class_size``: the average class size
over k (LeFevre et al.; 1 is ideal).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from .hierarchy import Hierarchy, as_text, generalise_frame, hierarchy_for

DEFAULT_K = 11
DEFAULT_QUASI_IDENTIFIERS = (
    "cas_registration_year",
    "prs_gender",
    "vic_age_band",
    "prs_citizenship",
    "vic_country_of_exploitation",
    "vic_type_of_exploitation",
)
DEFAULT_MAX_SUPPRESSED = 0.05


@dataclass(frozen=True)
class KAnonResult:
    """A k-anonymous release and what it cost."""

    released: pl.DataFrame
    """The quasi-identifiers (as text, generalised) and any ``attributes``, shuffled, suppressed rows left out."""
    k: int
    quasi_identifiers: tuple[str, ...]
    levels: dict[str, int]
    """The level of each quasi-identifier's hierarchy (0 = as recorded)."""
    level_names: dict[str, str]
    rows_in: int
    rows_suppressed: int
    classes: int
    discernibility: int
    loss_metric: dict[str, float]
    precision_loss: float
    source_rows: pl.Series = field(repr=False)
    """The input row (0-based) of each released row, in release order; for evaluation, never to publish."""
    hierarchies: dict[str, Hierarchy] = field(default_factory=dict, repr=False)

    @property
    def suppressed_share(self) -> float:
        """Share of the input records left out."""
        return self.rows_suppressed / self.rows_in if self.rows_in else 0.0

    @property
    def average_class_size(self) -> float:
        """Released records per equivalence class."""
        return self.released.height / self.classes if self.classes else 0.0

    @property
    def normalised_class_size(self) -> float:
        """Average class size over k (1 is the least loss k allows)."""
        return self.average_class_size / self.k

    @property
    def mean_loss_metric(self) -> float:
        """LM averaged over the quasi-identifiers (0 = nothing lost, 1 = everything withheld)."""
        return sum(self.loss_metric.values()) / len(self.loss_metric) if self.loss_metric else 0.0

    def generalise(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame``'s quasi-identifiers at this release's levels (all rows; e.g. the real data for comparison)."""
        return generalise_frame(frame, self.levels, self.hierarchies)

    def summary(self) -> pl.DataFrame:
        """One row per quasi-identifier: level chosen, its name, height and the loss metric."""
        return pl.DataFrame(
            {
                "column": list(self.quasi_identifiers),
                "level": [self.levels[c] for c in self.quasi_identifiers],
                "level_name": [self.level_names[c] for c in self.quasi_identifiers],
                "height": [hierarchy_for(c, self.hierarchies).height for c in self.quasi_identifiers],
                "loss_metric": [self.loss_metric[c] for c in self.quasi_identifiers],
            },
            schema={
                "column": pl.String,
                "level": pl.Int64,
                "level_name": pl.String,
                "height": pl.Int64,
                "loss_metric": pl.Float64,
            },
        )

    def notes(self) -> list[str]:
        """Plain-language lines for a data card."""
        levels = ", ".join(f"{c}: {self.level_names[c]}" for c in self.quasi_identifiers)
        return [
            f"k-anonymous with k = {self.k} over {', '.join(self.quasi_identifiers)}: every combination of "
            f"their released values is shared by at least {self.k} records.",
            f"Generalised to {levels}.",
            f"{self.rows_suppressed} of {self.rows_in} records ({self.suppressed_share:.1%}) suppressed; "
            f"{self.released.height} released in {self.classes} classes (average size "
            f"{self.average_class_size:.1f}).",
            f"Information loss: LM {self.mean_loss_metric:.3f}, precision loss {self.precision_loss:.3f}, "
            f"discernibility {self.discernibility}.",
        ]


@dataclass
class _Codes:
    """One quasi-identifier as integer codes: a leaf (distinct value) per row and its group per level."""

    hierarchy: Hierarchy
    leaf: pl.Series
    groups: list[pl.Series]
    loss: list[float]
    """LM of the column at each level, over all records."""
    leaf_loss: list[pl.Series]
    """LM of each leaf at each level."""

    def record_loss(self, level: int, rows: pl.Series) -> float:
        """The sum of LM over ``rows`` at ``level``."""
        return float(self.leaf_loss[level].gather(self.leaf.gather(rows)).sum())


def _codes(series: pl.Series, hierarchy: Hierarchy) -> _Codes:
    text = as_text(series)
    counts = text.value_counts()
    values: list[str | None] = counts.get_column(text.name).to_list()
    weights: list[int] = counts.get_column("count").to_list()
    marker = "\x00missing"
    keys = [marker if v is None else v for v in values]
    leaf = text.fill_null(marker).replace_strict(keys, list(range(len(keys))), return_dtype=pl.UInt32)
    groups: list[pl.Series] = []
    loss: list[float] = []
    leaf_loss: list[pl.Series] = []
    for level in range(hierarchy.height + 1):
        general = hierarchy.generalise(values, level)
        ids = {g: i for i, g in enumerate(dict.fromkeys(general))}
        merged = Counter(general)
        groups.append(pl.Series([ids[g] for g in general], dtype=pl.UInt32))
        denominator = max(len(values) - 1, 1)
        per_leaf = [(merged[g] - 1) / denominator for g in general]
        leaf_loss.append(pl.Series(per_leaf, dtype=pl.Float64))
        loss.append(sum(w * x for w, x in zip(weights, per_leaf, strict=True)) / max(sum(weights), 1))
    return _Codes(hierarchy, leaf, groups, loss, leaf_loss)


class _Search:
    """Evaluates full-domain generalisations: how many records fall in classes smaller than k."""

    def __init__(self, codes: dict[str, _Codes], k: int) -> None:
        self.codes, self.k = codes, k
        self.names = list(codes)
        self.memo: dict[tuple[int, ...], int] = {}

    def frame(self, levels: Sequence[int]) -> pl.DataFrame:
        return pl.DataFrame(
            [
                self.codes[c].groups[lv].gather(self.codes[c].leaf).alias(c)
                for c, lv in zip(self.names, levels, strict=True)
            ]
        )

    def small(self, levels: tuple[int, ...]) -> int:
        if levels not in self.memo:
            sizes = self.frame(levels).group_by(self.names).len().get_column("len")
            self.memo[levels] = int(sizes.filter(sizes < self.k).sum())
        return self.memo[levels]

    def loss(self, column: int, level: int) -> float:
        return self.codes[self.names[column]].loss[level]

    def run(self, cap: int) -> tuple[int, ...]:
        levels = tuple(0 for _ in self.names)
        heights = [self.codes[c].hierarchy.height for c in self.names]
        while self.small(levels) > cap:
            now = self.small(levels)
            options = []
            for i, level in enumerate(levels):
                if level < heights[i]:
                    trial = (*levels[:i], level + 1, *levels[i + 1 :])
                    cost = self.loss(i, level + 1) - self.loss(i, level)
                    options.append((trial, self.small(trial), cost))
            # records brought out of small classes, beyond the cap worth nothing, per unit of loss
            if any(o[1] < now for o in options):
                levels = max(options, key=lambda o: ((now - max(o[1], cap)) / max(o[2], 1e-9), -o[2]))[0]
            else:
                levels = min(options, key=lambda o: (o[1], o[2]))[0]
        return self._lower(levels, cap)

    def _lower(self, levels: tuple[int, ...], cap: int) -> tuple[int, ...]:
        """Undo generalisation the bound does not need, most costly first."""
        changed = True
        while changed:
            changed = False
            order = sorted(
                (i for i, lv in enumerate(levels) if lv > 0),
                key=lambda i: self.loss(i, levels[i]) - self.loss(i, levels[i] - 1),
                reverse=True,
            )
            for i in order:
                trial = (*levels[:i], levels[i] - 1, *levels[i + 1 :])
                if self.small(trial) <= cap:
                    levels, changed = trial, True
                    break
        return levels


def anonymise(
    cases: pl.DataFrame,
    *,
    k: int = DEFAULT_K,
    quasi_identifiers: list[str] | None = None,
    max_suppressed: float = DEFAULT_MAX_SUPPRESSED,
    attributes: list[str] | None = None,
    hierarchies: dict[str, Hierarchy] | None = None,
    seed: int = 0,
) -> KAnonResult:
    """A k-anonymous release of ``cases`` (one row per case) over ``quasi_identifiers``.

    At most ``max_suppressed`` of the records are suppressed; the columns are generalised as far as
    needed for that. ``attributes`` are released unchanged beside the quasi-identifiers. ``hierarchies``
    overrides the built-in ones per column. ``seed`` fixes the shuffle of the released rows.
    """
    qis = list(quasi_identifiers or DEFAULT_QUASI_IDENTIFIERS)
    extra = list(attributes or [])
    if k < 1:
        raise ValueError("k must be at least 1")
    if not 0 <= max_suppressed < 1:
        raise ValueError("max_suppressed must be in [0, 1)")
    missing = [c for c in (*qis, *extra) if c not in cases.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r} in the cases")
    if not qis or len(set(qis)) != len(qis) or set(qis) & set(extra):
        raise ValueError("quasi-identifiers must be distinct, non-empty and not among the attributes")
    n = cases.height
    if 0 < n < k:
        raise ValueError(f"{n} records cannot be {k}-anonymous")
    custom = dict(hierarchies or {})
    codes = {c: _codes(cases.get_column(c), hierarchy_for(c, custom)) for c in qis}
    search = _Search(codes, k)
    chosen = search.run(math.floor(max_suppressed * n))
    levels = dict(zip(qis, chosen, strict=True))
    coded = search.frame(chosen).with_row_index("__row")
    sizes = coded.select("__row", pl.len().over(qis).alias("__size"))
    kept = sizes.filter(pl.col("__size") >= k)
    source = kept.get_column("__row").sample(fraction=1.0, shuffle=True, seed=seed)
    released = generalise_frame(cases.select(*qis, *extra), levels, custom)[source]
    rows = kept.get_column("__row")
    counts = coded[rows].group_by(qis).len().get_column("len")
    suppressed = n - kept.height
    loss = {c: (codes[c].record_loss(levels[c], rows) + suppressed) / n if n else 0.0 for c in qis}
    return KAnonResult(
        released=released,
        k=k,
        quasi_identifiers=tuple(qis),
        levels=levels,
        level_names={c: codes[c].hierarchy.names[levels[c]] for c in qis},
        rows_in=n,
        rows_suppressed=suppressed,
        classes=counts.len(),
        discernibility=int((counts.cast(pl.Int64) ** 2).sum()) + suppressed * n,
        loss_metric=loss,
        precision_loss=sum(levels[c] / codes[c].hierarchy.height for c in qis) / len(qis),
        source_rows=source.alias("source_row"),
        hierarchies=custom,
    )
