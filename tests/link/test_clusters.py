"""Connected components and entity ids that stay stable across runs."""

from __future__ import annotations

import polars as pl

from palermo.link.clusters import connected_components, entity_id, stable_ids


def _pairs(*edges: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame({"unique_id_l": [a for a, _ in edges], "unique_id_r": [b for _, b in edges]})


def _as_dict(frame: pl.DataFrame, key: str, value: str) -> dict[str, str]:
    return dict(zip(frame[key].to_list(), frame[value].to_list(), strict=True))


def test_components_join_transitive_links_and_keep_singletons() -> None:
    ids = pl.Series(["a", "b", "c", "d", "e"])
    out = _as_dict(connected_components(ids, _pairs(("a", "b"), ("c", "b"))), "unique_id", "cluster_id")
    assert out == {"a": "a", "b": "a", "c": "a", "d": "d", "e": "e"}


def test_first_run_numbers_every_cluster() -> None:
    clusters = pl.DataFrame({"unique_id": ["a", "b", "c"], "cluster_id": ["a", "a", "c"]})
    empty = pl.DataFrame(schema={"unique_id": pl.Utf8, "entity_id": pl.Utf8})
    done = stable_ids(clusters, empty, 1)
    out = _as_dict(done.entities, "unique_id", "entity_id")
    assert out["a"] == out["b"] != out["c"]
    assert set(out.values()) == {entity_id(1), entity_id(2)}
    assert done.new_entities == 2 and done.next_number == 3


def test_new_records_join_existing_entities_without_renumbering() -> None:
    previous = pl.DataFrame({"unique_id": ["a", "b", "c"], "entity_id": ["E0000007", "E0000007", "E0000003"]})
    # d joins a's entity, e is new, c stays alone
    clusters = pl.DataFrame({"unique_id": ["a", "b", "c", "d", "e"], "cluster_id": ["a", "a", "c", "a", "e"]})
    done = stable_ids(clusters, previous, 8)
    out = _as_dict(done.entities, "unique_id", "entity_id")
    assert out == {"a": "E0000007", "b": "E0000007", "c": "E0000003", "d": "E0000007", "e": "E0000008"}
    assert done.merged.is_empty()
    assert done.next_number == 9


def test_a_merge_keeps_the_oldest_id_and_reports_the_other() -> None:
    previous = pl.DataFrame({"unique_id": ["a", "b"], "entity_id": ["E0000005", "E0000002"]})
    clusters = pl.DataFrame({"unique_id": ["a", "b", "c"], "cluster_id": ["a", "a", "a"]})
    done = stable_ids(clusters, previous, 6)
    assert set(done.entities["entity_id"].to_list()) == {"E0000002"}
    assert done.merged.rows() == [("E0000002", "E0000005")]
    assert done.new_entities == 0


def test_a_split_leaves_the_id_with_the_larger_part() -> None:
    previous = pl.DataFrame({"unique_id": ["a", "b", "c"], "entity_id": ["E0000004"] * 3})
    clusters = pl.DataFrame({"unique_id": ["a", "b", "c"], "cluster_id": ["c", "a", "c"]})
    done = stable_ids(clusters, previous, 10)
    out = _as_dict(done.entities, "unique_id", "entity_id")
    assert out["a"] == out["c"] == "E0000004"
    assert out["b"] == "E0000010"
