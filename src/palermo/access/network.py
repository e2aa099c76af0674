"""The network around one linked person, within the viewer's rights.

The viewer must hold a record of the entity (as its linkage alerts do). The graph is
:func:`palermo.link.network.build_graph` of the records the viewer may see, following the rules of
:mod:`palermo.access.alerts` and :mod:`palermo.access.cases`: its own records in full; another
holder's records only if it granted ``linkage`` at ``pseudonymised`` or above (the holder is named),
their case references only at ``full`` linkage, and their identifiers (phones, e-mails, accounts,
passports, addresses) only where it granted ``identities`` in full. Holders that granted ``aggregate``
linkage are counted, not shown; the others are not mentioned. The read is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import select

from .. import audit
from ..errors import NotFoundError
from ..link.entities import network_records
from ..link.network import IDENTIFIERS, Graph, build_graph, entity_subgraph
from ..store.agreements import granted_levels, rank
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import organisation

MAX_NODES = 300
"""Most nodes of a network picture: a larger two-link neighbourhood is cut to the direct links."""


@dataclass(frozen=True)
class EntityNetwork:
    """The network around ``entity_id`` that the viewer may see."""

    entity_id: str
    graph: Graph
    radius: int
    """How many links from the person the graph reaches (2, or 1 when 2 would be too large to draw)."""
    holders: list[str]
    """Organisations holding the person whose records are shown (the viewer's own included)."""
    unnamed_holders: int
    """Other holders of the person that allow only a count."""


def _levels(store: Store, viewer_id: int) -> pl.DataFrame:
    """Per organisation name: its linkage and identities levels for the viewer (as ranks)."""
    linkage = granted_levels(store, viewer_id, "linkage")
    identities = granted_levels(store, viewer_id, "identities")
    with store.engine.connect() as conn:
        ids = {str(name): int(i) for name, i in conn.execute(select(organisation.c.name, organisation.c.id))}
    return pl.DataFrame(
        {
            "org": list(ids),
            "linkage": [rank(linkage.get(i, "none")) for i in ids.values()],
            "identities": [rank(identities.get(i, "none")) for i in ids.values()],
        },
        schema={"org": pl.String, "linkage": pl.Int64, "identities": pl.Int64},
    )


def visible_records(records: pl.DataFrame, viewer: str, levels: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``records`` (as :func:`network_records` gives them) the viewer may see, fields withheld."""
    joined = records.join(levels, on="org", how="left").with_columns(pl.col("linkage", "identities").fill_null(0))
    own = pl.col("org") == viewer
    shown = joined.filter(own | (pl.col("linkage") >= rank("pseudonymised")))
    identifying = own | (pl.col("identities") >= rank("full"))
    referenced = own | (pl.col("linkage") >= rank("full"))
    present = [c for c in IDENTIFIERS if c in shown.columns]
    return shown.with_columns(
        *(pl.when(identifying).then(pl.col(c)).otherwise(None).alias(c) for c in present),
        pl.when(referenced).then(pl.col("case_key")).otherwise(None).alias("case_key"),
    ).drop("linkage", "identities")


def entity_network(store: Store, org: str, entity_id: str, *, actor: str, purpose: str) -> EntityNetwork:
    """The network around linked person ``entity_id`` as ``org`` may see it; the read is audited."""
    viewer = get_organisation(store, org)
    records = network_records(store)
    if records.filter((pl.col("entity_id") == entity_id) & (pl.col("org") == viewer.name)).is_empty():
        raise NotFoundError(f"no linked person {entity_id!r} among your organisation's records")
    levels = _levels(store, viewer.id)
    visible = visible_records(records, viewer.name, levels)
    graph = build_graph(visible)
    radius = 2
    network = entity_subgraph(graph, entity_id, radius=radius)
    if network.number_of_nodes() > MAX_NODES:
        radius = 1
        network = entity_subgraph(graph, entity_id, radius=radius)
    centre = visible.filter(pl.col("entity_id") == entity_id)
    counted = (
        records.filter((pl.col("entity_id") == entity_id) & (pl.col("org") != viewer.name))
        .join(levels, on="org", how="left")
        .filter(pl.col("linkage") == rank("aggregate"))
    )
    persons = {str(n).removeprefix("person:") for n, d in network.nodes(data=True) if d.get("kind") == "person"}
    shown = visible.filter(pl.col("entity_id").is_in(list(persons)))
    audit.append(
        store, actor=actor, org_id=viewer.id, action="linkage.network", purpose=purpose,
        records=shown.filter(pl.col("org") == viewer.name)["record_key"].sort().to_list(),
        details={"entity": entity_id, "nodes": network.number_of_nodes(), "radius": radius,
                 "other_records": shown.filter(pl.col("org") != viewer.name).height},
    )
    return EntityNetwork(
        entity_id=entity_id,
        graph=network,
        radius=radius,
        holders=sorted(centre["org"].unique().to_list()),
        unnamed_holders=counted["org"].n_unique(),
    )
