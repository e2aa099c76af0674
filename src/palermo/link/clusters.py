"""Clusters from pairs, and entity ids that stay stable across incremental runs.

Connected components use scipy's sparse graph routine (vectorised, millions of edges in seconds).
Stable ids: an entity id, once given, is never renumbered. When a run's clusters are mapped onto
the ids of the previous run, a cluster holding records of one earlier entity keeps its id; a cluster
that merges several keeps the oldest (smallest) and the merge is reported; a cluster of new records
only gets a new id; when an earlier entity splits, the part holding most of its records keeps the id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components as _components

ENTITY_PREFIX = "E"


def connected_components(ids: pl.Series, pairs: pl.DataFrame) -> pl.DataFrame:
    """``unique_id`` → ``cluster_id`` (the smallest unique_id of its component) for every id in ``ids``."""
    nodes = pl.DataFrame({"unique_id": ids.cast(pl.Utf8)}).unique(maintain_order=True).with_row_index("node")
    edges = (
        pairs.select("unique_id_l", "unique_id_r")
        .join(nodes.rename({"unique_id": "unique_id_l", "node": "a"}), on="unique_id_l")
        .join(nodes.rename({"unique_id": "unique_id_r", "node": "b"}), on="unique_id_r")
    )
    n = nodes.height
    graph = coo_array(
        (np.ones(edges.height, dtype=np.int8), (edges["a"].to_numpy(), edges["b"].to_numpy())), shape=(n, n)
    )
    _, labels = _components(graph, directed=False)
    labelled = nodes.with_columns(pl.Series("component", labels))
    return labelled.with_columns(
        pl.col("unique_id").min().over("component").alias("cluster_id")
    ).select("unique_id", "cluster_id")


@dataclass(frozen=True)
class StableAssignment:
    """Each record's entity id after a run, and what changed."""

    entities: pl.DataFrame
    """unique_id, entity_id."""
    merged: pl.DataFrame
    """entity_id (kept), absorbed_id (an earlier entity now part of it)."""
    new_entities: int
    next_number: int
    """The number the next new entity id will take."""


def entity_id(number: int) -> str:
    """The printed form of entity number ``number`` (E0000042)."""
    return f"{ENTITY_PREFIX}{number:07d}"


def _number(ids: pl.Expr) -> pl.Expr:
    return ids.str.slice(len(ENTITY_PREFIX)).cast(pl.Int64)


def stable_ids(clusters: pl.DataFrame, previous: pl.DataFrame, next_number: int) -> StableAssignment:
    """Map ``clusters`` (unique_id, cluster_id) onto ``previous`` (unique_id, entity_id) without renumbering.

    ``next_number`` is the first unused entity number (kept by the caller between runs).
    """
    joined = clusters.join(previous, on="unique_id", how="left")
    votes = (
        joined.drop_nulls("entity_id")
        .group_by("cluster_id", "entity_id")
        .agg(pl.len().alias("records"))
    )
    # An earlier entity keeps its id in the cluster holding most of its records (ties: smallest cluster id).
    home = votes.sort(["entity_id", "records", "cluster_id"], descending=[False, True, False]).unique(
        "entity_id", keep="first", maintain_order=True
    )
    # A cluster keeps the oldest of the earlier ids it is home to; the others are merged into it.
    keep = home.sort(_number(pl.col("entity_id"))).unique("cluster_id", keep="first", maintain_order=True)
    merged = (
        home.join(keep.select("cluster_id", pl.col("entity_id").alias("kept")), on="cluster_id")
        .filter(pl.col("entity_id") != pl.col("kept"))
        .select(pl.col("kept").alias("entity_id"), pl.col("entity_id").alias("absorbed_id"))
        .sort("entity_id", "absorbed_id")
    )
    fresh = (
        clusters.select("cluster_id").unique()
        .join(keep, on="cluster_id", how="anti")
        .sort("cluster_id")
        .with_row_index("offset")
        .select("cluster_id", (pl.col("offset").cast(pl.Int64) + next_number).alias("number"))
    )
    numbered = pl.concat(
        [
            keep.select("cluster_id", "entity_id"),
            fresh.select("cluster_id", pl.format("{}", pl.col("number").cast(pl.Utf8).str.zfill(7)).alias("digits"))
            .select("cluster_id", (pl.lit(ENTITY_PREFIX) + pl.col("digits")).alias("entity_id")),
        ]
    )
    entities = clusters.join(numbered, on="cluster_id").select("unique_id", "entity_id")
    return StableAssignment(
        entities=entities, merged=merged, new_entities=fresh.height, next_number=next_number + fresh.height
    )
