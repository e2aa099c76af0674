"""Networks of linked records: shared identifiers join persons; components, brokers, GraphML and pictures."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import polars as pl
import pytest

from palermo.link.network import (
    betweenness,
    brokers,
    build_graph,
    communities,
    component_members,
    components,
    draw,
    entity_subgraph,
    source_dependencies,
    write_graphml,
)

COLUMNS = ("entity_id", "org", "country", "case_key", "phone", "email", "bank_account", "passport", "address")


def linked(*rows: Mapping[str, str | None]) -> pl.DataFrame:
    """Linked records (the ``LinkedRecords`` contract) from partial rows: keys numbered, the rest null."""
    return pl.DataFrame(
        [{"record_key": f"r{i}", **{c: row.get(c) for c in COLUMNS}} for i, row in enumerate(rows)],
        schema=dict.fromkeys(("record_key", *COLUMNS), pl.String),
    )


def random_linked(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` random records of ~n/2 entities from 8 organisations; phones and accounts sometimes shared."""
    rng = random.Random(seed)
    rows: list[dict[str, str | None]] = []
    for _ in range(n):
        entity = rng.randrange(n // 2)
        rows.append(
            {
                "entity_id": f"E{entity}",
                "org": f"org{rng.randrange(8)}",
                "country": rng.choice(["NL", "DE", "RO", "NG", None]),
                "case_key": f"c{rng.randrange(n)}" if rng.random() < 0.5 else None,
                "phone": f"+4470{rng.randrange(n):07d}" if rng.random() < 0.6 else None,
                "bank_account": f"NL{rng.randrange(n // 3)}" if rng.random() < 0.1 else None,
            }
        )
    return linked(*rows)


@pytest.mark.parametrize(("column", "kind"), [("phone", "phone"), ("bank_account", "account"), ("email", "email")])
def test_a_shared_identifier_joins_two_organisations_persons(column: str, kind: str) -> None:
    records = linked(
        {"entity_id": "E1", "org": "Shelter", "country": "NL", column: "shared"},
        {"entity_id": "E2", "org": "Police", "country": "RO", column: "shared"},
        {"entity_id": "E3", "org": "Police", "country": "RO", column: "other"},
    )
    graph = build_graph(records)
    assert graph.nodes[f"{kind}:shared"]["kind"] == kind
    assert graph.nodes[f"{kind}:shared"]["orgs"] == "Police; Shelter"
    assert graph.edges["person:E1", f"{kind}:shared"]["org"] == "Shelter"
    table = components(graph)
    assert table.height == 2
    first = table.row(0, named=True)
    assert first["id"] == 0
    assert (first["persons"], first["identifiers"], first["organisations"], first["countries"]) == (2, 1, 2, 2)
    assert first["spans_orgs"] and first["spans_countries"]
    assert first["org_names"] == "Police; Shelter"
    second = table.row(1, named=True)
    assert (second["persons"], second["spans_orgs"], second["spans_countries"]) == (1, False, False)
    members = component_members(graph)
    together = members.filter(pl.col("node").is_in(["person:E1", "person:E2"])).get_column("id")
    assert together.to_list() == [0, 0]


def test_one_entitys_records_form_one_person_node() -> None:
    records = linked(
        {"entity_id": "E1", "org": "A", "country": "NL", "phone": "+31600000001"},
        {"entity_id": "E1", "org": "B", "country": None, "passport": "X123"},
    )
    graph = build_graph(records)
    assert sorted(graph.nodes) == ["passport:X123", "person:E1", "phone:+31600000001"]
    person = {"kind": "person", "label": "E1", "records": 2, "orgs": "A; B", "countries": "NL"}
    assert graph.nodes["person:E1"] == person
    assert components(graph).get_column("organisations").to_list() == [2]


def test_cases_are_an_organisations_own() -> None:
    records = linked(
        {"entity_id": "E1", "org": "A", "case_key": "C-1"},
        {"entity_id": "E2", "org": "A", "case_key": "C-1"},
        {"entity_id": "E3", "org": "B", "case_key": "C-1"},
    )
    graph = build_graph(records)
    assert graph.nodes["case:A/C-1"]["kind"] == "case"
    assert components(graph).select("persons", "cases").rows() == [(2, 1), (1, 1)]


def test_components_agree_with_networkx_on_random_records() -> None:
    records = random_linked(2_000)
    graph = build_graph(records)
    table = components(graph)
    assert table.height == nx.number_connected_components(graph)
    assert table.get_column("persons").sum() == records.get_column("entity_id").n_unique()
    assert table.get_column("persons").is_sorted(descending=True)
    assert table.get_column("id").to_list() == list(range(table.height))
    largest = max(nx.connected_components(graph), key=len)
    assert table.row(0, named=True)["persons"] == sum(1 for n in largest if n.startswith("person:"))


def test_the_bridging_person_is_the_top_broker() -> None:
    side_a = [{"entity_id": f"P{i}", "org": "A", "phone": "+1001", "email": "a@x.org"} for i in range(3)]
    side_b = [{"entity_id": f"Q{i}", "org": "B", "phone": "+2002", "email": "b@x.org"} for i in range(3)]
    bridge = [
        {"entity_id": "BROKER", "org": "A", "phone": "+1001", "email": "a@x.org"},
        {"entity_id": "BROKER", "org": "B", "phone": "+2002", "email": "b@x.org"},
    ]
    graph = build_graph(linked(*side_a, *side_b, *bridge))
    top = brokers(graph, top=3)
    assert top.row(0, named=True)["node"] == "person:BROKER"
    assert top.row(0, named=True)["kind"] == "person"
    exact = nx.betweenness_centrality(graph)
    for node, value in top.select("node", "betweenness").iter_rows():
        assert value == pytest.approx(exact[node])


def test_the_centre_of_a_star_is_the_top_broker() -> None:
    graph = build_graph(linked(*({"entity_id": f"V{i}", "org": f"o{i % 2}", "phone": "+999"} for i in range(6))))
    top = brokers(graph, top=1)
    assert top.get_column("node").to_list() == ["phone:+999"]
    assert top.get_column("degree").to_list() == [6]


def _as_linked_graph(raw: nx.Graph[int]) -> nx.Graph[str]:
    """A plain networkx graph with string nodes of kind person, in a :func:`build_graph` graph."""
    graph = build_graph(linked())
    graph.add_nodes_from((str(v), {"kind": "person", "label": str(v)}) for v in raw)
    graph.add_edges_from((str(a), str(b)) for a, b in raw.edges)
    return graph


@pytest.mark.parametrize("seed", range(4))
def test_betweenness_equals_networkx_on_random_graphs(seed: int) -> None:
    graph = _as_linked_graph(nx.disjoint_union(nx.gnm_random_graph(50, 65, seed=seed), nx.path_graph(4)))
    exact = nx.betweenness_centrality(graph)
    for chunk in (4_000_000, 7):  # one batch of sources, or many
        ours = betweenness(graph, chunk=chunk)
        assert ours.keys() == exact.keys()
        assert max(abs(ours[v] - exact[v]) for v in graph) < 1e-12


def test_source_dependencies_equal_networkx_subset_betweenness() -> None:
    graph = _as_linked_graph(nx.gnm_random_graph(40, 60, seed=9))
    sources = random.Random(1).sample(sorted(graph), 6)
    theirs = nx.betweenness_centrality_subset(graph, sources, list(graph), normalized=False)
    ours = source_dependencies(graph, sources)
    assert max(abs(ours[v] - 2 * theirs[v]) for v in graph) < 1e-9  # networkx halves undirected sums


def test_sampled_betweenness_is_seeded_and_unbiased() -> None:
    graph = _as_linked_graph(nx.barbell_graph(6, 3))
    assert brokers(graph, top=1).get_column("node").to_list() == ["7"]  # the middle of the bar
    rough = brokers(graph, top=5, k=6, seed=3)
    assert rough.equals(brokers(graph, top=5, k=6, seed=3))
    exact = nx.betweenness_centrality(graph)
    mean = sum(betweenness(graph, k=6, seed=s)["7"] for s in range(300)) / 300
    assert mean == pytest.approx(exact["7"], rel=0.05)


def test_communities_are_seeded_and_separate_clusters() -> None:
    records = random_linked(600, seed=2)
    graph = build_graph(records)
    first = communities(graph, seed=7)
    assert first.equals(communities(graph, seed=7))
    assert first.height == graph.number_of_nodes()
    assert first.get_column("node").n_unique() == graph.number_of_nodes()
    members = component_members(graph).select("node", "id")
    # a community never spans two components
    spans = first.join(members, on="node").group_by("community").agg(pl.col("id").n_unique())
    assert spans.get_column("id").max() == 1


def test_entity_subgraph_reaches_persons_through_shared_identifiers() -> None:
    records = linked(
        {"entity_id": "E1", "org": "A", "phone": "+1"},
        {"entity_id": "E2", "org": "B", "phone": "+1", "bank_account": "IBAN9"},
        {"entity_id": "E3", "org": "C", "bank_account": "IBAN9"},
        {"entity_id": "E4", "org": "C", "phone": "+4"},
    )
    graph = build_graph(records)
    near = entity_subgraph(graph, "E1", radius=2)
    assert set(near.nodes) == {"person:E1", "phone:+1", "person:E2"}
    assert set(entity_subgraph(graph, "E1", radius=4).nodes) == {
        "person:E1", "phone:+1", "person:E2", "account:IBAN9", "person:E3",
    }
    with pytest.raises(KeyError):
        entity_subgraph(graph, "nobody")


def test_graphml_round_trips_with_attributes(tmp_path: Path) -> None:
    records = linked(
        {"entity_id": "E1", "org": "Shelter", "country": "NL", "phone": "+31612345678", "case_key": "k1"},
        {"entity_id": "E2", "org": "Police", "country": "RO", "phone": "+31612345678"},
    )
    graph = build_graph(records)
    path = write_graphml(graph, tmp_path / "net.graphml")
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(graph.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in graph.edges}
    for node, data in graph.nodes(data=True):
        assert back.nodes[node] == data
    assert back.nodes["phone:+31612345678"]["countries"] == "NL; RO"
    assert back.nodes["person:E1"]["records"] == 1
    assert back.edges["person:E2", "phone:+31612345678"]["org"] == "Police"


def test_the_picture_is_valid_svg_with_labels(tmp_path: Path) -> None:
    records = linked(
        {"entity_id": "E1", "org": "Shelter", "phone": "+31612345678", "passport": "NX0001"},
        {"entity_id": "E2", "org": "Police", "phone": "+31612345678", "address": "1 Canal Street"},
    )
    graph = build_graph(records)
    path = draw(entity_subgraph(graph, "E1"), tmp_path / "net.svg", title="Around E1")
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    assert "+31612345678" in text
    assert "Around E1" in text
    assert "phone" in text  # the legend
    assert "1 Canal Street" not in text  # three links away from E1: not in its radius-2 picture


def test_a_big_graph_is_refused_for_drawing(tmp_path: Path) -> None:
    graph = build_graph(random_linked(400))
    with pytest.raises(ValueError, match="too many"):
        draw(graph, tmp_path / "big.svg", max_nodes=100)
    assert not (tmp_path / "big.svg").exists()


def test_empty_records_give_an_empty_graph() -> None:
    graph = build_graph(linked())
    assert graph.number_of_nodes() == 0
    assert components(graph).height == 0
    assert brokers(graph).height == 0


def test_other_identifier_columns_can_be_mapped(tmp_path: Path) -> None:
    records = linked({"entity_id": "E1", "org": "A"}, {"entity_id": "E2", "org": "B"}).with_columns(
        document=pl.Series(["D-7", "D-7"])
    )
    graph = build_graph(records, identifiers={"document": "document"})
    assert graph.nodes["document:D-7"]["kind"] == "document"
    table = components(graph)
    assert table.select("persons", "identifiers", "spans_orgs").rows() == [(2, 1, True)]
    assert "D-7" in draw(graph, tmp_path / "doc.svg").read_text(encoding="utf-8")
