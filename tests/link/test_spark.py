"""The same linkage on Spark (Splink's Spark backend, local mode) finds the same matches as on DuckDB."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

from palermo.demo.linkage_benchmark import as_person_input, person_records
from palermo.link.persons import prepare_persons
from palermo.link.resolve import DbApiFactory, predict, train

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java"),
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DbApiFactory, Any]]:
    pytest.importorskip("pyspark")
    from palermo.link.spark import spark_backend

    factory, session = spark_backend(tmp_path_factory.mktemp("spark"))
    yield factory, session
    session.stop()


def test_spark_finds_the_matches_duckdb_finds(spark: tuple[DbApiFactory, Any]) -> None:
    factory, _ = spark
    records = person_records(1200, seed=11, organisations=3)
    frame = prepare_persons(
        as_person_input(records)
    )
    model = train(frame)
    threshold = 0.9
    on_duckdb = predict(frame, model, threshold=threshold)
    on_spark = predict(frame, model, threshold=threshold, db_api=factory)
    assert on_duckdb.height > 50
    both = on_duckdb.join(on_spark, on=["unique_id_l", "unique_id_r"], how="full", coalesce=True, suffix="_spark")
    common = both.drop_nulls(["match_probability", "match_probability_spark"])
    # the scores agree (float and string-similarity implementations differ in the last digits)
    assert (common["match_probability"] - common["match_probability_spark"]).abs().max() < 0.01  # type: ignore[operator]
    # any pair found by one backend only lies at the threshold
    only_one = both.filter(pl.col("match_probability").is_null() | pl.col("match_probability_spark").is_null())
    borderline = only_one.select(pl.coalesce("match_probability", "match_probability_spark")).to_series()
    assert ((borderline - threshold).abs() < 0.01).all()
    assert only_one.height <= on_duckdb.height // 100
