"""Accuracy of a linkage against known truth: pairwise and cluster-level precision, recall and F1.

Pairwise scores judge the scored pairs themselves; cluster scores judge every pair of records put in
one entity (what users see after clustering, transitive links included).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Accuracy:
    """Precision, recall and F1 of predicted links against true links."""

    predicted: int
    true: int
    true_positives: int

    @property
    def precision(self) -> float:
        """Share of predicted links that are true (1.0 when nothing is predicted)."""
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Share of true links that were predicted (1.0 when there are none)."""
        return self.true_positives / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self) -> str:
        """``precision=… recall=… F1=…`` for benchmark output."""
        return f"precision={self.precision:.3f} recall={self.recall:.3f} F1={self.f1:.3f}"


def pairs_within(groups: pl.DataFrame, id_column: str = "unique_id", group_column: str = "cluster_id") -> pl.DataFrame:
    """Every pair (unique_id_l < unique_id_r) of records sharing a group."""
    frame = groups.select(pl.col(id_column).cast(pl.Utf8).alias("id"), pl.col(group_column).alias("group"))
    return (
        frame.join(frame, on="group", suffix="_r")
        .filter(pl.col("id") < pl.col("id_r"))
        .select(pl.col("id").alias("unique_id_l"), pl.col("id_r").alias("unique_id_r"))
    )


def pair_accuracy(predicted: pl.DataFrame, truth: pl.DataFrame) -> Accuracy:
    """Compare predicted pairs with true pairs (both with unique_id_l < unique_id_r, as text)."""
    keys = ["unique_id_l", "unique_id_r"]
    predicted_keys = predicted.select(pl.col(keys).cast(pl.Utf8)).unique()
    true_keys = truth.select(pl.col(keys).cast(pl.Utf8)).unique()
    hits = predicted_keys.join(true_keys, on=keys).height
    return Accuracy(predicted=predicted_keys.height, true=true_keys.height, true_positives=hits)


def cluster_accuracy(clusters: pl.DataFrame, truth: pl.DataFrame, truth_column: str = "person_id") -> Accuracy:
    """Pairs implied by ``clusters`` (unique_id, cluster_id) against those implied by ``truth`` (unique_id, truth)."""
    return pair_accuracy(pairs_within(clusters), pairs_within(truth, group_column=truth_column))
