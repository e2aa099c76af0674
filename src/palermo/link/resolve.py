"""Entity resolution with Splink: train the model, predict scored pairs, cluster them into entities.

DuckDB is the default backend; any Splink database API (``SparkAPI`` for a cluster) can be passed
instead and gives the same result. Pairs come back as polars frames so the rest of palermo never
sees Splink objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import polars as pl
from splink import DuckDBAPI, Linker
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.exceptions import EMTrainingException
from splink.internals.splink_dataframe import SplinkDataFrame

from ..errors import ConfigurationError
from .clusters import connected_components
from .model import LinkType, deterministic_rules_for, settings_for, training_rules_for

DEFAULT_THRESHOLD = 0.9
"""Match probability at or above which a pair is taken as the same person."""
TRAINING_RECORDS = 100_000
U_PAIRS = 2_000_000
PAIR_COLUMNS = ("unique_id_l", "unique_id_r", "match_weight", "match_probability")

DbApiFactory = Callable[[], DatabaseAPISubClass]


def duckdb_api() -> DatabaseAPISubClass:
    """A Splink DuckDB backend on a private in-memory database."""
    connection = duckdb.connect()
    connection.execute("SET preserve_insertion_order = false")
    return DuckDBAPI(connection=connection)


@dataclass(frozen=True)
class Resolution:
    """Scored pairs at or above the threshold, and each record's cluster."""

    pairs: pl.DataFrame
    """unique_id_l, unique_id_r, match_weight, match_probability (l < r)."""
    clusters: pl.DataFrame
    """unique_id, cluster_id (the smallest unique_id of the cluster)."""
    model: dict[str, Any]


def _linker(frames: list[pl.DataFrame], settings: Any, db_api: DatabaseAPISubClass) -> Linker:
    tables = [db_api.register(frame.to_arrow()) for frame in frames]
    return Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.ERROR)


def _inputs(frame: pl.DataFrame, link_type: str) -> list[pl.DataFrame]:
    """Splink's input tables: one per source for ``link_only``, else the frame itself."""
    if link_type == "link_only":
        return [part for _, part in frame.group_by("source_dataset", maintain_order=True)]
    return [frame]


def train(
    frame: pl.DataFrame,
    *,
    link_type: LinkType = "dedupe_only",
    seed: int = 0,
    training_records: int = TRAINING_RECORDS,
    db_api: DbApiFactory = duckdb_api,
) -> dict[str, Any]:
    """Train the person model on ``frame`` (or a seeded random sample of it) without labels."""
    sample = frame.sample(training_records, seed=seed) if frame.height > training_records else frame
    linker = _linker(_inputs(sample, link_type), settings_for(frame, link_type), db_api())
    training = linker.training
    training.estimate_probability_two_random_records_match(deterministic_rules_for(frame), recall=0.8)
    training.estimate_u_using_random_sampling(max_pairs=U_PAIRS, seed=seed)
    for rule in training_rules_for(frame):
        try:
            training.estimate_parameters_using_expectation_maximisation(rule, fix_u_probabilities=True)
        except EMTrainingException:
            continue  # no pair agrees on this block (small or sparse data): the other blocks train
    return linker.misc.save_model_to_json()


def _pairs_frame(result: SplinkDataFrame) -> pl.DataFrame:
    """The pair columns of a Splink result, through Arrow (no pandas on any backend)."""
    frame = pl.from_arrow(result.as_pyarrow_table())  # type: ignore[no-untyped-call]
    assert isinstance(frame, pl.DataFrame)
    return frame.select(PAIR_COLUMNS)


def _ordered_pairs(pairs: pl.DataFrame) -> pl.DataFrame:
    left, right = pl.col("unique_id_l"), pl.col("unique_id_r")
    return pairs.select(
        pl.min_horizontal(left, right).alias("unique_id_l"),
        pl.max_horizontal(left, right).alias("unique_id_r"),
        pl.col("match_weight").cast(pl.Float64),
        pl.col("match_probability").cast(pl.Float64),
    ).unique(["unique_id_l", "unique_id_r"])


def predict(
    frame: pl.DataFrame,
    model: dict[str, Any],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    db_api: DbApiFactory = duckdb_api,
) -> pl.DataFrame:
    """Scored pairs of ``frame`` at or above ``threshold`` (match probability)."""
    api = db_api()
    settings = model_for_dialect(model, frame, api.sql_dialect.sql_dialect_str)
    linker = _linker(_inputs(frame, model.get("link_type", "dedupe_only")), settings, api)
    result = linker.inference.predict(threshold_match_probability=threshold)
    pairs = _pairs_frame(result)
    return _ordered_pairs(pairs.with_columns(pl.col("unique_id_l", "unique_id_r").cast(pl.Utf8)))


def resolve(
    frame: pl.DataFrame,
    *,
    link_type: LinkType = "dedupe_only",
    threshold: float = DEFAULT_THRESHOLD,
    model: dict[str, Any] | None = None,
    seed: int = 0,
    db_api: DbApiFactory = duckdb_api,
) -> Resolution:
    """Train (unless ``model`` is given), predict and cluster ``frame`` into entities."""
    trained = model if model is not None else train(frame, link_type=link_type, seed=seed, db_api=db_api)
    pairs = predict(frame, trained, threshold=threshold, db_api=db_api)
    clusters = connected_components(frame["unique_id"], pairs)
    return Resolution(pairs=pairs, clusters=clusters, model=trained)


def without_term_frequencies(model: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``model`` whose comparison levels take no term-frequency adjustment."""
    comparisons = [
        {
            **comparison,
            "comparison_levels": [
                {key: value for key, value in level.items() if not key.startswith("tf_")}
                for level in comparison.get("comparison_levels", [])
            ],
        }
        for comparison in model.get("comparisons", [])
    ]
    return {**model, "comparisons": comparisons}


def model_for_dialect(model: dict[str, Any], frame: pl.DataFrame, dialect: str) -> dict[str, Any]:
    """``model`` with its SQL written for ``dialect`` (a model trained on DuckDB, used on Spark).

    A saved model holds SQL of the backend it was trained on; the comparisons and blocking rules are
    built again for ``dialect`` from the same creators and the trained parameters copied across, level
    by level. ``frame`` must hold the same columns as the frame the model was trained on.
    """
    if model.get("sql_dialect") == dialect:
        return model
    rebuilt = settings_for(frame, model.get("link_type", "dedupe_only")).create_settings_dict(dialect)
    comparisons = []
    for new, old in zip(rebuilt["comparisons"], model.get("comparisons", []), strict=False):
        new_levels, old_levels = new["comparison_levels"], old["comparison_levels"]
        if new["output_column_name"] != old["output_column_name"] or len(new_levels) != len(old_levels):
            raise ConfigurationError(
                f"the model's comparison {old['output_column_name']!r} does not fit these records' columns"
            )
        levels = [
            {**level, **{k: v for k, v in trained.items() if k in _TRAINED_KEYS}}
            for level, trained in zip(new_levels, old_levels, strict=True)
        ]
        comparisons.append({**new, "comparison_levels": levels})
    if len(comparisons) != len(model.get("comparisons", [])):
        raise ConfigurationError("the model's comparisons do not fit these records' columns")
    carried: dict[str, Any] = {k: model[k] for k in ("probability_two_random_records_match", "link_type") if k in model}
    return {**rebuilt, **carried, "comparisons": comparisons, "sql_dialect": dialect}


_TRAINED_KEYS = frozenset({"m_probability", "u_probability", "tf_adjustment_weight", "tf_minimum_u_value"})
