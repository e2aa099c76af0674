"""Linkage alerts: which of one's person records the last linkage run found held elsewhere too.

An alert names another holder only if that holder granted ``linkage`` access at the pseudonymised
level or above, and gives that holder's record references only at ``full``; holders that granted
``aggregate`` are counted, not named; holders that granted nothing are not mentioned, and an entity
only they share with the caller raises no alert.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy import select

from .. import audit
from ..link.entities import linked_records
from ..store.agreements import granted_levels, rank
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import organisation


@dataclass(frozen=True)
class LinkAlert:
    """One person the caller holds whom others hold too."""

    entity_id: str
    own_records: list[str]
    holders: list[str]
    """Other holders that may be named."""
    other_records: list[str]
    """Their record references, where they granted full linkage access."""
    unnamed_holders: int
    """Other holders that allow only a count."""


def linkage_alerts(store: Store, org: str, *, actor: str, purpose: str) -> list[LinkAlert]:
    """Alerts for ``org`` from the last linkage run, most widely held first; the read is audited."""
    viewer = get_organisation(store, org)
    levels = granted_levels(store, viewer.id, "linkage")
    with store.engine.connect() as conn:
        names = {str(n): int(i) for n, i in conn.execute(select(organisation.c.name, organisation.c.id))}
    level_of = pl.DataFrame(
        {"org": list(names), "level": [rank(levels.get(int(i), "none")) for i in names.values()]},
        schema={"org": pl.String, "level": pl.Int64},
    )
    records = linked_records(store).join(level_of, on="org", how="left")
    own = records.filter(pl.col("org") == viewer.name)
    others = records.filter((pl.col("org") != viewer.name) & (pl.col("level") >= rank("aggregate")))
    others = others.filter(pl.col("entity_id").is_in(own.get_column("entity_id").implode()))
    named = pl.col("level") >= rank("pseudonymised")
    per_entity = others.group_by("entity_id").agg(
        pl.col("org").filter(named).unique().sort().alias("holders"),
        pl.col("record_key").filter(pl.col("level") >= rank("full")).sort().alias("other_records"),
        pl.col("org").filter(~named).n_unique().alias("unnamed_holders"),
    )
    mine = own.group_by("entity_id").agg(pl.col("record_key").sort().alias("own_records"))
    joined = per_entity.join(mine, on="entity_id").sort(
        [pl.col("holders").list.len() + pl.col("unnamed_holders"), "entity_id"], descending=[True, False]
    )
    alerts = [LinkAlert(**row) for row in joined.to_dicts()]
    audit.append(store, actor=actor, org_id=viewer.id, action="linkage.alerts", purpose=purpose,
                 records=[r for a in alerts for r in a.own_records], details={"alerts": len(alerts)})
    return alerts
