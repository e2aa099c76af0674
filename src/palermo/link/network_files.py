"""The network of the last linkage run written out for analysts: GraphML, a picture and its tables.

Which part to draw: the network around one entity when asked, else the largest connected network
spanning several organisations, narrowed to the two-link neighbourhood of its busiest person when it
is too large to draw legibly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..errors import NotFoundError
from .network import (
    Graph,
    brokers,
    build_graph,
    communities,
    component_members,
    components,
    draw,
    entity_subgraph,
    write_graphml,
)

MAX_DRAWN = 1_500
"""Most nodes drawn in one network picture."""
BROKERS_KEPT = 50


@dataclass(frozen=True)
class NetworkFiles:
    """What was written, and the figures an analyst reads first."""

    nodes: int
    edges: int
    spanning_orgs: int
    """Connected networks holding records of more than one organisation."""
    brokers: pl.DataFrame
    picture_title: str


def _picture(graph: Graph, parts: pl.DataFrame, entity: str | None) -> tuple[Graph, str]:
    if entity is not None:
        try:
            return entity_subgraph(graph, entity), f"network around {entity}"
        except KeyError as exc:
            raise NotFoundError(f"no entity {entity!r} in the network (see `palermo link entities`)") from exc
    chosen = parts.filter(pl.col("spans_orgs"))["id"].to_list()[:1] or parts["id"].to_list()[:1]
    members = component_members(graph)
    picture: Graph = graph.subgraph(members.filter(pl.col("id").is_in(chosen))["node"].to_list()).copy()
    title = "largest network spanning several organisations"
    if picture.number_of_nodes() > MAX_DRAWN:
        busiest = max((n for n in picture if n.startswith("person:")), key=picture.degree)
        picture = entity_subgraph(picture, busiest.removeprefix("person:"), radius=2)
        title = f"around {busiest} in the {title}"
    return picture, title


def write_network(
    records: pl.DataFrame, out: Path, *, entity: str | None = None, top: int = BROKERS_KEPT
) -> NetworkFiles:
    """Write ``network.graphml``, ``network.svg``, ``components.csv``, ``brokers.csv`` and ``communities.csv``.

    ``records`` as :func:`palermo.link.entities.network_records` gives them; ``brokers.csv`` holds at
    least the ``top`` brokers (and never fewer than 50).
    """
    graph = build_graph(records)
    parts = components(graph)
    picture, title = _picture(graph, parts, entity)
    out.mkdir(parents=True, exist_ok=True)
    write_graphml(graph, out / "network.graphml")
    parts.write_csv(out / "components.csv")
    ranked = brokers(graph, top=max(top, BROKERS_KEPT))
    ranked.write_csv(out / "brokers.csv")
    communities(graph).write_csv(out / "communities.csv")
    draw(picture, out / "network.svg", title=title, max_nodes=MAX_DRAWN)
    return NetworkFiles(
        nodes=graph.number_of_nodes(),
        edges=graph.number_of_edges(),
        spanning_orgs=parts.filter(pl.col("spans_orgs")).height,
        brokers=ranked,
        picture_title=title,
    )
