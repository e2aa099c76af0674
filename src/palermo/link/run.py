"""Link the store's person records into entities and keep the result: the run, its pairs, stable entity ids.

A run reads every person record, trains the model (or reuses the last run's, so that scores stay
comparable between runs), predicts and clusters, maps the clusters onto the previous run's entity ids
(:func:`palermo.link.clusters.stable_ids`: ids are never renumbered), and writes the run, its pairs
and the assignments in one transaction: a failed run leaves the previous result whole.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import delete, insert

from ..store.db import Store
from ..store.schema import link_entity, link_pair, link_run
from .clusters import connected_components, stable_ids
from .history import entity_assignments, latest_run
from .hits import index_plaintext
from .persons import prepare_persons
from .records import read_person_records
from .resolve import DEFAULT_THRESHOLD, DbApiFactory, duckdb_api, predict, train

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LinkRunSummary:
    """What one linkage run found."""

    run_id: int
    records: int
    new_records: int
    pairs: int
    entities: int
    new_entities: int
    merged: list[tuple[str, str]]
    cross_org_entities: int
    """Entities whose records come from more than one organisation."""
    seconds: float


def run_linkage(
    store: Store,
    *,
    started_by: str,
    threshold: float = DEFAULT_THRESHOLD,
    retrain: bool = False,
    seed: int = 0,
    progress: Progress | None = None,
    db_api: DbApiFactory = duckdb_api,
) -> LinkRunSummary:
    """Link every stored person record; keep entity ids of earlier runs stable."""
    say = progress or (lambda _stage: None)
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    say("reading person records")
    raw = read_person_records(store)
    persons = prepare_persons(raw)
    previous_run = latest_run(store)
    previous = entity_assignments(store)
    if previous_run is not None and not retrain:
        model: dict[str, Any] = previous_run["model"]
    else:
        say("training the model")
        model = train(persons, seed=seed, db_api=db_api)
    say("scoring candidate pairs")
    pairs = predict(persons, model, threshold=threshold, db_api=db_api)
    say("clustering into entities")
    clusters = connected_components(persons["unique_id"], pairs)
    next_number = int(previous_run["next_entity"]) if previous_run is not None else 1
    assigned = stable_ids(clusters, previous, next_number)
    entities = assigned.entities.join(persons.select("unique_id", "source_dataset"), on="unique_id")
    cross_org = (
        entities.group_by("entity_id").agg(pl.col("source_dataset").n_unique().alias("orgs"))
        .filter(pl.col("orgs") > 1)
        .height
    )
    merged = [(str(a), str(b)) for a, b in assigned.merged.iter_rows()]
    new_records = persons.height - persons.join(previous, on="unique_id", how="semi").height
    say("saving the result")
    with store.engine.begin() as conn:
        run_id = conn.execute(
            insert(link_run).returning(link_run.c.id),
            {
                "started_at": started_at,
                "seconds": 0.0,
                "started_by": started_by,
                "threshold": threshold,
                "records": persons.height,
                "new_records": new_records,
                "pairs": pairs.height,
                "entities": assigned.entities["entity_id"].n_unique(),
                "new_entities": assigned.new_entities,
                "merged": [list(m) for m in merged],
                "next_entity": assigned.next_number,
                "model": model,
            },
        ).scalar_one()
        conn.execute(delete(link_pair))
        conn.execute(delete(link_entity))
        if assigned.entities.height:
            conn.execute(
                insert(link_entity),
                [
                    {"person_id": int(uid), "entity_id": eid, "run_id": run_id}
                    for uid, eid in assigned.entities.iter_rows()
                ],
            )
        if pairs.height:
            conn.execute(
                insert(link_pair),
                [
                    {
                        "run_id": run_id,
                        "person_l": int(left),
                        "person_r": int(right),
                        "match_weight": weight,
                        "match_probability": probability,
                    }
                    for left, right, weight, probability in pairs.iter_rows()
                ],
            )
        seconds = time.perf_counter() - started
        conn.execute(link_run.update().where(link_run.c.id == run_id).values(seconds=seconds))
    say("indexing identifiers for hit/no-hit")
    index_plaintext(store, persons, raw.select("unique_id", pl.col("org_id").cast(pl.Int64)))
    return LinkRunSummary(
        run_id=int(run_id),
        records=persons.height,
        new_records=new_records,
        pairs=pairs.height,
        entities=assigned.entities["entity_id"].n_unique(),
        new_entities=assigned.new_entities,
        merged=merged,
        cross_org_entities=cross_org,
        seconds=seconds,
    )
