"""Real-time scoring through a prepared statement gives what Splink's compare_records gives."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import polars as pl
import pytest
from splink.internals.realtime import compare_records
from tests.support import shared

from palermo.link.datasets import read_splink_people
from palermo.link.person_record import prepare_record, prepare_records
from palermo.link.realtime import _scoring_settings, score_against
from palermo.link.resolve import duckdb_api, train


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    raw = read_splink_people(shared("record_linkage/splink/fake_1000.csv")).drop("truth")
    return prepare_records([{k: (None if v is None else str(v)) for k, v in row.items()}
                            for row in raw.iter_rows(named=True)])


def _splink(query: pl.DataFrame, records: pl.DataFrame, model: dict[str, Any]) -> pl.DataFrame:
    """Splink's own call, on a fresh backend, without palermo's prepared statement."""
    settings, _ = _scoring_settings(model)
    result = compare_records(query.to_arrow(), records.to_arrow(), settings, duckdb_api())
    frame = pl.from_arrow(result.as_pyarrow_table())  # type: ignore[no-untyped-call]
    assert isinstance(frame, pl.DataFrame)
    return frame.select(pl.col("unique_id_r").cast(pl.Utf8).alias("unique_id"), "match_probability")


def _query(people: pl.DataFrame, row: int) -> pl.DataFrame:
    person = people.row(row, named=True)
    record = prepare_record({"unique_id": "__query__", "given_name": person["given"], "family_name": person["family"],
                             "birth_date": person["birth_date"], "city": person["city"]})
    return pl.DataFrame([record], schema=people.schema)


def test_prepared_scores_are_splinks(people: pl.DataFrame) -> None:
    model = train(people.head(600), seed=3)
    candidates = people.slice(0, 80)
    for row in (0, 7, 33, 79):
        query = _query(people, row)
        ours = score_against(query, candidates, model).sort("unique_id")
        theirs = _splink(query, candidates, model).sort("unique_id")
        assert ours["unique_id"].to_list() == theirs["unique_id"].to_list()
        assert ours["match_probability"].to_list() == pytest.approx(theirs["match_probability"].to_list(), abs=1e-12)
        probabilities = ours["match_probability"].to_list()
        assert max(probabilities) > 0.5 > sorted(probabilities)[len(probabilities) // 2]


def test_each_model_and_each_thread_scores_with_its_own(people: pl.DataFrame) -> None:
    first, second = train(people.head(300), seed=1), train(people.tail(500), seed=2)
    query, candidates = _query(people, 5), people.slice(0, 50)
    by_first = score_against(query, candidates, first).sort("unique_id")
    by_second = score_against(query, candidates, second).sort("unique_id")
    assert by_first["match_probability"].to_list() != by_second["match_probability"].to_list()
    assert by_first.equals(_splink(query, candidates, first).sort("unique_id"))
    with ThreadPoolExecutor(4) as pool:  # other threads, other DuckDB connections, the same answers
        again = list(pool.map(lambda m: score_against(query, candidates, m).sort("unique_id"), [first, second] * 4))
    assert all(frame.equals(by_first if i % 2 == 0 else by_second) for i, frame in enumerate(again))
    assert score_against(query, candidates.clear(), first).is_empty()
