"""Networks of linked persons: who shares a phone, an e-mail, a bank account, a passport, an address or a case.

:func:`build_graph` turns linked records (one row per person record, with the ``entity_id`` the linkage
gave it) into an undirected graph. Nodes are ``"<kind>:<value>"``: ``person:<entity_id>``, one node per
identifier value (``phone:+4479...``) and ``case:<org>/<case_key>`` (case keys are an organisation's
own, so two organisations' ``C-1`` are different cases). Edges join a person to each identifier and case
of its records. An identifier used by several persons joins them: such shared identifiers are the
signal, and :func:`components`, :func:`communities` and :func:`brokers` read it.

Node attributes (GraphML-safe scalars): ``kind``, ``label`` (the value itself), ``records``, and
``orgs``/``countries`` (sorted, ``"; "``-joined). Edge attributes: ``org`` (the organisations whose
records give the link, joined the same way) and ``records``.

Betweenness (:func:`betweenness`, :func:`brokers`) is Brandes' algorithm run breadth-first from many
sources at once in numpy, exact in components of at most ``k`` nodes and estimated from ``k`` seeded
sources in larger ones: networkx's own is quadratic in the nodes of a graph of many components.

The graph holds raw identifiers: it is for analysts inside the platform, never for publication.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import altair as alt
import networkx as nx
import numpy as np
import numpy.typing as npt
import polars as pl
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..reports.charts import WIDTH, svg

if TYPE_CHECKING:
    Graph: TypeAlias = nx.Graph[str]
    """A graph of :func:`build_graph`: nodes are ``"<kind>:<value>"`` strings."""
else:
    Graph = nx.Graph
SEP = "; "
IDENTIFIERS: dict[str, str] = {
    "phone": "phone",
    "email": "email",
    "bank_account": "account",
    "passport": "passport",
    "address": "address",
}
"""Identifier column of the linked records → node kind."""
KINDS = ("person", *IDENTIFIERS.values(), "case")
COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#b279a2", "#9d755d", "#72b7b2")
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def _joined(column: str) -> pl.Expr:
    return pl.col(column).drop_nulls().unique().sort().str.join(SEP)


def _links(records: pl.DataFrame, identifiers: Mapping[str, str]) -> pl.DataFrame:
    """One row per (record, identifier or case): entity, node, kind, label, org, country."""
    present = [c for c in identifiers if c in records.columns]
    base = ["entity_id", "org", "country"]
    parts = []
    if present:
        long = (
            records.select(*base, *present)
            .with_columns(pl.col(c).cast(pl.String) for c in present)
            .unpivot(index=base, on=present, variable_name="column", value_name="label")
            .filter(pl.col("label").is_not_null() & (pl.col("label") != ""))
            .with_columns(kind=pl.col("column").replace_strict(dict(identifiers), return_dtype=pl.String))
        )
        parts.append(long.select(*base, "kind", "label", node=pl.col("kind") + ":" + pl.col("label")))
    if "case_key" in records.columns:
        cases = records.filter(pl.col("case_key").is_not_null() & (pl.col("case_key") != ""))
        parts.append(
            cases.select(
                *base,
                kind=pl.lit("case"),
                label=pl.col("case_key"),
                node=pl.lit("case:") + pl.col("org") + "/" + pl.col("case_key"),
            )
        )
    if not parts:
        return pl.DataFrame(schema={**dict.fromkeys([*base, "kind", "label", "node"], pl.String)})
    return pl.concat(parts)


def build_graph(records: pl.DataFrame, identifiers: Mapping[str, str] = IDENTIFIERS) -> Graph:
    """The person–identifier–case graph of linked records (``identifiers``: column → node kind)."""
    missing = {"entity_id", "org"} - set(records.columns)
    if missing:
        raise ValueError(f"linked records lack the columns {sorted(missing)}")
    if "country" not in records.columns:
        records = records.with_columns(country=pl.lit(None, dtype=pl.String))
    records = records.filter(pl.col("entity_id").is_not_null())
    links = _links(records, identifiers)
    columns = ("node", "kind", "label", "records", "orgs", "countries")
    persons = records.group_by("entity_id").agg(records=pl.len(), orgs=_joined("org"), countries=_joined("country"))
    identified = links.group_by("node").agg(
        pl.col("kind").first(), pl.col("label").first(), records=pl.len(), orgs=_joined("org"),
        countries=_joined("country"),
    )
    nodes = pl.concat(
        [
            persons.with_columns(node="person:" + pl.col("entity_id"), kind=pl.lit("person"), label="entity_id")
            .select(columns),
            identified.select(columns),
        ]
    ).sort("node")
    edges = (
        links.group_by("entity_id", "node")
        .agg(org=_joined("org"), records=pl.len())
        .sort("entity_id", "node")
        .with_columns(person="person:" + pl.col("entity_id"))
    )
    graph: Graph = nx.Graph()
    graph.add_nodes_from(
        (node, {"kind": kind, "label": label, "records": n, "orgs": orgs, "countries": countries})
        for node, kind, label, n, orgs, countries in nodes.iter_rows()
    )
    graph.add_edges_from(
        (person, node, {"org": org, "records": n})
        for person, node, org, n in edges.select("person", "node", "org", "records").iter_rows()
    )
    return graph


def _node_frame(graph: Graph, nodes: Iterable[str] | None = None) -> pl.DataFrame:
    """Nodes with their kind, label, orgs and countries."""
    data = graph.nodes(data=True) if nodes is None else ((n, graph.nodes[n]) for n in nodes)
    rows = [(n, d.get("kind", ""), d.get("label", n), d.get("orgs", ""), d.get("countries", "")) for n, d in data]
    return pl.DataFrame(
        rows, schema=["node", "kind", "label", "orgs", "countries"], orient="row", infer_schema_length=None
    ).cast(pl.String)


def _exploded(members: pl.DataFrame, column: str, name: str) -> pl.DataFrame:
    """Per component ``id``: how many distinct values a ``"; "``-joined column holds, and which."""
    return (
        members.select("id", value=pl.col(column).str.split(SEP))
        .explode("value")
        .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
        .group_by("id")
        .agg(pl.col("value").n_unique().cast(pl.Int64).alias(name), pl.col("value").unique().sort().str.join(SEP))
    )


def component_members(graph: Graph) -> pl.DataFrame:
    """Every node with its component ``id`` (the numbering of :func:`components`): node, kind, label, id, ..."""
    parts = list(nx.connected_components(graph))
    raw = pl.DataFrame(
        {"node": [n for p in parts for n in p], "part": [i for i, p in enumerate(parts) for _ in p]},
        schema={"node": pl.String, "part": pl.Int64},
    )
    members = _node_frame(graph).join(raw, on="node")
    rank = (
        members.group_by("part")
        .agg(persons=(pl.col("kind") == "person").sum(), nodes=pl.len(), first=pl.col("node").min())
        .sort(["persons", "nodes", "first"], descending=[True, True, False])
        .with_row_index("id")
        .select(pl.col("id").cast(pl.Int64), "part")
    )
    return (
        members.join(rank, on="part")
        .select("node", "kind", "label", "id", "orgs", "countries")
        .sort("id", "node")
    )


def components(graph: Graph) -> pl.DataFrame:
    """One row per connected component, largest (most persons, then most nodes) first.

    Columns: ``id`` (0 = largest), ``persons``, ``identifiers``, ``cases``, ``organisations`` and
    ``countries`` (distinct counts), ``spans_orgs``, ``spans_countries``, ``org_names``, ``country_codes``.
    """
    members = component_members(graph)
    kind = pl.col("kind")
    counts = members.group_by("id").agg(
        persons=(kind == "person").sum().cast(pl.Int64),
        identifiers=(~kind.is_in(["person", "case"])).sum().cast(pl.Int64),
        cases=(kind == "case").sum().cast(pl.Int64),
    )
    orgs = _exploded(members, "orgs", "organisations").rename({"value": "org_names"})
    countries = _exploded(members, "countries", "countries").rename({"value": "country_codes"})
    return (
        counts.join(orgs, on="id", how="left")
        .join(countries, on="id", how="left")
        .with_columns(
            pl.col("organisations", "countries").fill_null(0),
            pl.col("org_names", "country_codes").fill_null(""),
        )
        .with_columns(spans_orgs=pl.col("organisations") > 1, spans_countries=pl.col("countries") > 1)
        .sort("id")
        .select("id", "persons", "identifiers", "cases", "organisations", "countries", "spans_orgs",
                "spans_countries", "org_names", "country_codes")
    )


def communities(graph: Graph, seed: int = 0, resolution: float = 1.0) -> pl.DataFrame:
    """Louvain communities (seeded, so repeatable): node, kind, label, ``community`` (0 = largest)."""
    found = nx.community.louvain_communities(graph, resolution=resolution, seed=seed)
    found.sort(key=lambda c: (-len(c), min(c, default="")))
    assigned = pl.DataFrame(
        {"node": [n for c in found for n in c], "community": [i for i, c in enumerate(found) for _ in c]},
        schema={"node": pl.String, "community": pl.Int64},
    )
    return _node_frame(graph).join(assigned, on="node").select("node", "kind", "label", "community").sort(
        "community", "node"
    )


def _adjacency(graph: Graph) -> tuple[list[str], Ints, Ints]:
    """Nodes in order and the CSR adjacency (``indptr``, ``indices``) of both directions of every edge."""
    nodes = list(graph)
    index = {v: i for i, v in enumerate(nodes)}
    ends = np.array([(index[a], index[b]) for a, b in graph.edges() if a != b], dtype=np.int64).reshape(-1, 2)
    n = len(nodes)
    matrix = sparse.csr_array(
        (np.ones(2 * len(ends)), (np.r_[ends[:, 0], ends[:, 1]], np.r_[ends[:, 1], ends[:, 0]])), shape=(n, n)
    )
    return nodes, matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64)


def _found(keys: Ints, sorted_keys: Ints) -> tuple[Ints, npt.NDArray[np.bool_]]:
    """Positions of ``keys`` in ``sorted_keys`` and whether they are there."""
    at = np.minimum(np.searchsorted(sorted_keys, keys), max(sorted_keys.size - 1, 0))
    hit = sorted_keys[at] == keys if sorted_keys.size else np.zeros(keys.size, dtype=np.bool_)
    return at, hit


def _expand(indptr: Ints, indices: Ints, nodes: Ints) -> tuple[Ints, Ints]:
    """For each neighbour of each of ``nodes``: which of ``nodes`` it neighbours, and the neighbour."""
    degree = indptr[nodes + 1] - indptr[nodes]
    owner = np.repeat(np.arange(nodes.size), degree)
    offset = np.arange(owner.size) - np.repeat(np.cumsum(degree) - degree, degree)
    return owner, indices[indptr[nodes][owner] + offset]


def _dependencies(indptr: Ints, indices: Ints, sources: Ints) -> Floats:
    """Brandes' dependencies summed over ``sources``: per node, the shortest paths from a source through it.

    Breadth-first from every source at once over (source, node) pairs, level by level, in numpy.
    """
    n = indptr.size - 1
    key = np.sort(np.arange(sources.size, dtype=np.int64) * n + sources)
    levels: list[tuple[Ints, Floats]] = [(key, np.ones(key.size))]
    before = np.zeros(0, dtype=np.int64)
    while levels[-1][0].size:
        keys, sigma = levels[-1]
        owner, reached = _expand(indptr, indices, keys % n)
        new = keys[owner] // n * n + reached
        fresh = ~_found(new, keys)[1] & ~_found(new, before)[1]
        found, where = np.unique(new[fresh], return_inverse=True)
        levels.append((found, np.bincount(where, weights=sigma[owner][fresh], minlength=found.size).astype(np.float64)))
        before = keys
    out = np.zeros(n)
    delta = np.zeros(levels[-1][0].size)
    for depth in range(len(levels) - 1, 0, -1):
        keys, sigma = levels[depth]
        out += np.bincount(keys % n, weights=delta, minlength=n)
        parents, parent_sigma = levels[depth - 1]
        owner, reached = _expand(indptr, indices, keys % n)
        at, hit = _found(keys[owner] // n * n + reached, parents)
        share = ((1.0 + delta) / sigma)[owner]
        delta = parent_sigma * np.bincount(at[hit], weights=share[hit], minlength=parents.size)
    return out


def source_dependencies(graph: Graph, sources: Iterable[str], *, chunk: int = 4_000_000) -> dict[str, float]:
    """Per node, the sum over ``sources`` s and all targets t of the share of shortest s–t paths through it."""
    nodes, indptr, indices = _adjacency(graph)
    index = {v: i for i, v in enumerate(nodes)}
    chosen = np.array([index[s] for s in sources], dtype=np.int64)
    return dict(zip(nodes, _chunked(indptr, indices, chosen, None, chunk).tolist(), strict=True))


def _chunked(indptr: Ints, indices: Ints, sources: Ints, reach: Ints | None, chunk: int) -> Floats:
    """:func:`_dependencies` over batches of sources whose components total at most ``chunk`` nodes."""
    size = np.ones(sources.size, dtype=np.int64) * (indptr.size - 1) if reach is None else reach
    batch = np.cumsum(size) // max(chunk, 1)
    out = np.zeros(indptr.size - 1)
    for b in np.unique(batch):
        out += _dependencies(indptr, indices, sources[batch == b])
    return out


def betweenness(graph: Graph, *, k: int = 500, seed: int = 0, chunk: int = 4_000_000) -> dict[str, float]:
    """Betweenness centrality, normalised as ``nx.betweenness_centrality``: exact in components of at most ``k``
    nodes, estimated in larger ones from ``k`` sources drawn with ``seed`` (networkx's estimator, per component).
    """
    nodes, indptr, indices = _adjacency(graph)
    n = len(nodes)
    if n < 3:
        return dict.fromkeys(nodes, 0.0)
    _, label = connected_components(sparse.csr_array((np.ones(indices.size), indices, indptr), shape=(n, n)))
    size = np.bincount(label)[label]
    sampled = np.zeros(n, dtype=np.bool_)
    for part in np.flatnonzero(np.bincount(label) > k):
        members = np.flatnonzero(label == part)
        sampled[np.random.default_rng([seed, int(members[0])]).choice(members, k, replace=False)] = True
    big = np.bincount(label, weights=sampled)[label] > 0
    source = (~big & (size >= 3)) | sampled
    order = np.flatnonzero(source)
    order = order[np.argsort(label[order], kind="stable")]
    raw = _chunked(indptr, indices, order, size[order], chunk)
    # per component, as networkx rescales a sample: (s - 1) / k for non-sources, (s - 1) / (k - 1) for sources
    scale = np.where(big, (size - 1) / np.where(sampled, k - 1, k), 1.0) / ((n - 1) * (n - 2))
    return dict(zip(nodes, (raw * scale).tolist(), strict=True))


def brokers(graph: Graph, top: int = 20, *, k: int = 500, seed: int = 0) -> pl.DataFrame:
    """The ``top`` nodes by betweenness centrality (see :func:`betweenness`): those most often between others.

    Columns: node, kind, label, betweenness, degree, orgs, countries.
    """
    scores = betweenness(graph, k=k, seed=seed)
    ranked = sorted((-v, node) for node, v in scores.items() if v > 0)[:top]
    frame = _node_frame(graph, [node for _, node in ranked])
    return frame.with_columns(
        betweenness=pl.Series([-v for v, _ in ranked], dtype=pl.Float64),
        degree=pl.Series([graph.degree(node) for _, node in ranked], dtype=pl.Int64),
    ).select("node", "kind", "label", "betweenness", "degree", "orgs", "countries")


def entity_subgraph(graph: Graph, entity_id: str, radius: int = 2) -> Graph:
    """The network around one linked entity: every node within ``radius`` links of it (a copy)."""
    centre = f"person:{entity_id}"
    if centre not in graph:
        raise KeyError(f"no entity {entity_id!r} in the graph")
    sub: Graph = nx.ego_graph(graph, centre, radius=radius).copy()
    sub.graph["centre"] = centre
    return sub


def write_graphml(graph: Graph, path: Path | str) -> Path:
    """Write the graph as GraphML (for Gephi, Cytoscape, ``nx.read_graphml``)."""
    target = Path(path)
    nx.write_graphml(graph, target)
    return target


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def network_chart(
    graph: Graph, *, seed: int = 0, labels: bool | None = None, title: str = "", max_nodes: int = 1_500
) -> alt.LayerChart:
    """An Altair picture of a (small) graph: seeded spring layout, nodes coloured by kind, a legend.

    ``labels``: None labels every node of graphs up to 80 nodes. Larger graphs than ``max_nodes`` are
    refused: draw a component or :func:`entity_subgraph` instead.
    """
    n = graph.number_of_nodes()
    if n > max_nodes:
        raise ValueError(f"{n} nodes are too many to draw (at most {max_nodes}); draw a subgraph")
    show = n <= 80 if labels is None else labels
    position = nx.spring_layout(graph, seed=seed) if n else {}
    centre = graph.graph.get("centre")
    xy = {v: (float(position[v][0]), float(position[v][1])) for v in graph}
    nodes: list[dict[str, Any]] = [
        {"x": xy[v][0], "y": xy[v][1], "kind": d.get("kind", ""), "label": _short(str(d.get("label", v))),
         "orgs": d.get("orgs", ""), "degree": graph.degree(v), "centre": v == centre}
        for v, d in graph.nodes(data=True)
    ]
    edges = [
        {"x": xy[a][0], "y": xy[a][1], "x2": xy[b][0], "y2": xy[b][1], "org": d.get("org", "")}
        for a, b, d in graph.edges(data=True)
    ]
    axis_x = alt.X("x:Q", axis=None, scale=alt.Scale(zero=False, padding=40))
    axis_y = alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False, padding=20))
    link_layer = alt.Chart(alt.InlineData(values=edges)).mark_rule(color="#999999", opacity=0.8).encode(
        x=axis_x, y=axis_y, x2="x2:Q", y2="y2:Q", tooltip=["org:N"]
    )
    present = {str(d.get("kind", "")) for _, d in graph.nodes(data=True)}
    order = [kind for kind in KINDS if kind in present] + sorted(present - set(KINDS))
    known = dict(zip(KINDS, COLOURS, strict=True))  # any other kind is grey
    scale = alt.Scale(domain=order, range=[known.get(kind, "#bab0ac") for kind in order])
    colour = alt.Color("kind:N", title="node", scale=scale)
    node_layer = alt.Chart(alt.InlineData(values=nodes)).mark_circle(opacity=1, stroke="white").encode(
        x=axis_x, y=axis_y, color=colour,
        size=alt.condition("datum.centre", alt.value(320), alt.value(140)),
        tooltip=["kind:N", "label:N", "orgs:N", "degree:Q"],
    )
    layers: list[alt.Chart] = [link_layer, node_layer]
    if show:
        layers.append(
            alt.Chart(alt.InlineData(values=nodes)).mark_text(dy=-11, fontSize=10, color="#333333").encode(
                x=axis_x, y=axis_y, text="label:N"
            )
        )
    side = max(320, min(WIDTH, 40 * int(n**0.5) + 220))
    chart: alt.LayerChart = alt.layer(*layers).properties(
        width=side, height=side, title=title or f"Network of {n} nodes"
    ).configure_view(stroke=None)
    return chart


def draw(
    graph: Graph, path: Path | str, *, seed: int = 0, labels: bool | None = None, title: str = "",
    max_nodes: int = 1_500,
) -> Path:
    """Write :func:`network_chart` of the graph as an SVG file."""
    target = Path(path)
    chart = network_chart(graph, seed=seed, labels=labels, title=title, max_nodes=max_nodes)
    target.write_text(svg(chart), encoding="utf-8")
    return target
