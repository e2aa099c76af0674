"""Scoring one query record against a few candidates, fast enough to answer a request.

Splink's real-time API (``splink.internals.realtime.compare_records``) compares two tables of
records under a trained model without building a ``Linker``, and caches the SQL it generates per
model. Each worker thread keeps its own DuckDB backend (a DuckDB connection is not shared across
threads, and opening one costs tens of milliseconds) and, per model, a prepared statement of the SQL
Splink generated; every call unregisters the tables it registered.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import duckdb
import polars as pl
import pyarrow as pa
from splink.internals.database_api import DatabaseAPISubClass
from splink.internals.realtime import _sql_cache as _splink_sql_cache
from splink.internals.realtime import compare_records

from .resolve import duckdb_api, without_term_frequencies

_local = threading.local()
_UID = "palermo"
"""The suffix of the views a prepared scoring statement reads (Splink names them with a random one)."""


def _thread_api() -> DatabaseAPISubClass:
    api: DatabaseAPISubClass | None = getattr(_local, "api", None)
    if api is None:
        api = _local.api = duckdb_api()
        # Tens of rows per call: one DuckDB thread is enough, and each request thread has its own.
        api._con.execute("SET threads = 1")  # type: ignore[attr-defined]  # a DuckDBAPI's connection
    return api


def _scoring_settings(model: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The model without term-frequency adjustments, and a key naming it for Splink's SQL cache."""
    settings = {**without_term_frequencies(model), "link_type": "dedupe_only"}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()
    return settings, f"palermo-score-{digest[:32]}"


def score_against(query: pl.DataFrame, records: pl.DataFrame, model: dict[str, Any]) -> pl.DataFrame:
    """Score one prepared query record against every record of ``records``: unique_id, match_probability.

    No blocking (the records are already the candidates) and no term-frequency adjustment: the
    candidates are too few to tell how common a name is, so the model's average u is used.
    """
    if records.is_empty():
        return pl.DataFrame(schema={"unique_id": pl.Utf8, "match_probability": pl.Float64})
    settings, cache_key = _scoring_settings(model)
    columns = [name for name in records.columns if name in query.columns]
    left, right = query.select(columns).to_arrow(), records.select(columns).to_arrow()
    api = _thread_api()
    connection: duckdb.DuckDBPyConnection = api._con  # type: ignore[attr-defined]  # a DuckDBAPI's connection
    try:
        connection.register(_view("left"), left)
        connection.register(_view("right"), right)
        statement = _prepared(api, cache_key, settings, left, right)
        scored = pl.DataFrame(connection.sql(f"EXECUTE {statement}").to_arrow_table())
    finally:
        for side in ("left", "right"):
            connection.unregister(_view(side))
    return scored.select(
        pl.col("unique_id_r").cast(pl.Utf8).alias("unique_id"), pl.col("match_probability").cast(pl.Float64)
    )


def _view(side: str) -> str:
    return f"__splink__compare_records_{side}_{_UID}"


def _prepared(
    api: DatabaseAPISubClass, cache_key: str, settings: dict[str, Any], left: pa.Table, right: pa.Table
) -> str:
    """The name of this thread's prepared scoring statement for the model ``cache_key`` names (the views of
    fixed names must hold ``left`` and ``right``: DuckDB binds a statement as it prepares it).

    The first call per model runs Splink's ``compare_records`` (which builds the model's SQL and keeps
    it in Splink's cache), then prepares that SQL over views of fixed names, so later calls skip
    parsing and planning some 7,000 characters of SQL (16 -> 8 ms a query).
    """
    prepared: dict[str, str] = _local.__dict__.setdefault("prepared", {})
    name = prepared.get(cache_key)
    if name is not None:
        return name
    result = compare_records(left, right, settings, api, sql_cache_key=cache_key)
    connection: duckdb.DuckDBPyConnection = api._con  # type: ignore[attr-defined]  # a DuckDBAPI's connection
    _drop(connection, result.physical_name)
    sql = _splink_sql_cache.get(cache_key, _UID)
    if sql is None:
        raise RuntimeError("Splink did not keep the SQL of compare_records")  # an upgrade changed its cache
    name = f"palermo_score_{len(prepared)}"  # made here, never by input
    # The SQL is Splink's, made from the trained model (our column names and fitted numbers), not from a request.
    connection.execute(f"PREPARE {name} AS SELECT unique_id_r, match_probability FROM ({sql})")  # noqa: S608
    prepared[cache_key] = name
    return name


def _drop(connection: duckdb.DuckDBPyConnection, result_table: str) -> None:
    """Drop the result table and the two input views one ``compare_records`` call registered."""
    uid = result_table.rsplit("_", 1)[-1]
    connection.execute(f'DROP TABLE IF EXISTS "{result_table}"')  # names made by Splink, never by input
    for side in ("left", "right"):
        connection.unregister(f"__splink__compare_records_{side}_{uid}")
