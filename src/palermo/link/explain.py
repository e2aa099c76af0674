"""Why two records were (or were not) linked: the evidence of each comparison, and a waterfall chart.

Splink scores the pair with the trained model; its waterfall data gives, per comparison, the level
reached (exact name, one typo in the birth date...), the Bayes factor and the values compared. The
chart is Splink's own waterfall specification rendered to SVG by vl-convert (no browser needed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import polars as pl
import vl_convert as vlc
from splink import Linker

from ..errors import NotFoundError
from .resolve import DbApiFactory, duckdb_api

EVIDENCE_COLUMNS = ("comparison", "level", "value_l", "value_r", "bayes_factor", "match_weight")


@dataclass(frozen=True)
class PairExplanation:
    """The model's verdict on one pair and the evidence behind it."""

    left: str
    right: str
    match_probability: float
    match_weight: float
    evidence: pl.DataFrame
    """One row per step: prior, each comparison, final score (see :data:`EVIDENCE_COLUMNS`)."""
    chart_svg: str


def _tf_columns(model: dict[str, Any]) -> set[str]:
    columns: set[str] = set()
    for comparison in model.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            if level.get("tf_adjustment_column"):
                columns.add(str(level["tf_adjustment_column"]))
    return columns


def explain_pair(
    frame: pl.DataFrame, model: dict[str, Any], left: str,
    right: str,
    *,
    hide_values: bool = False,
    db_api: DbApiFactory = duckdb_api,
) -> PairExplanation:
    """Score records ``left`` and ``right`` of the prepared person ``frame`` and explain the score.

    The whole frame is used for term frequencies (how common a name or phone is). ``hide_values``
    leaves the compared values out of the evidence and the chart (weights only), for sharing.
    """
    wanted = frame.filter(pl.col("unique_id").is_in([left, right]))
    for unique_id in (left, right):
        if unique_id not in wanted["unique_id"].to_list():
            raise NotFoundError(f"no person record {unique_id!r} to explain")
    api = db_api()
    settings = {**model, "link_type": "dedupe_only"}
    linker = Linker(api.register(frame.to_arrow()), settings, log_level=logging.ERROR)
    for column in sorted(_tf_columns(model)):
        linker.table_management.compute_tf_table(column)
    rows = {row["unique_id"]: row for row in wanted.to_dicts()}
    scored = linker.inference.score_pair(rows[left], rows[right])
    records = scored.as_record_list()
    chart = linker.visualisations.waterfall_chart(records, filter_nulls=False, remove_sensitive_data=hide_values)
    steps = chart.chart_data
    evidence = pl.DataFrame(
        {
            "comparison": [str(step["column_name"]) for step in steps],
            "level": [str(step["label_for_charts"]) for step in steps],
            "value_l": [str(step.get("value_l") or "") for step in steps],
            "value_r": [str(step.get("value_r") or "") for step in steps],
            "bayes_factor": [float(step["bayes_factor"]) for step in steps],
            "match_weight": [float(step["log2_bayes_factor"]) for step in steps],
        }
    )
    record = records[0]
    return PairExplanation(
        left=left,
        right=right,
        match_probability=float(record["match_probability"]),
        match_weight=float(record["match_weight"]),
        evidence=evidence,
        chart_svg=vlc.vegalite_to_svg(chart.chart_dict),
    )
