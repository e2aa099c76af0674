"""The threat-assessment report over the cases one may see in aggregate: one's own and those shared.

A holder that granted ``aggregate`` access (or more) to its cases contributes to the counts; every
published count below k is suppressed as in ``palermo report``. On PostgreSQL the read runs as the
tenant with aggregate access, so the database admits no other organisation's rows.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from .. import audit
from ..analyse.cases import CaseFilter
from ..reports.assessment import Assessment, build_assessment
from ..store.agreements import granted_levels
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import organisation
from ..store.tenancy import tenant_store


def visible_holders(store: Store, org_id: int) -> list[str]:
    """Names of the organisations whose cases ``org_id`` may count (aggregate level or above)."""
    ids = list(granted_levels(store, org_id, "cases"))
    with store.engine.connect() as conn:
        names = conn.execute(select(organisation.c.name).where(organisation.c.id.in_(ids))).scalars().all()
    return sorted(names)


def assessment_for(
    store: Store, org: str, *, actor: str, purpose: str, filters: CaseFilter | None = None, k: int = 11,
    latest_period: int | None = None,
) -> Assessment:
    """The assessment of the cases ``org`` may see in aggregate, narrowed by ``filters``; audited."""
    viewer = get_organisation(store, org)
    holders = visible_holders(store, viewer.id)
    filters = filters or CaseFilter()
    wanted = holders if filters.contributors is None else [h for h in holders if h in filters.contributors]
    scoped = replace(filters, contributors=tuple(wanted))
    assessment = build_assessment(tenant_store(store, viewer.id, "aggregate"), scoped, k=k,
                                  latest_period=latest_period)
    audit.append(store, actor=actor, org_id=viewer.id, action="cases.aggregate", purpose=purpose,
                 details={"holders": wanted, "k": k, "cases_in_scope": assessment.cases_in_scope})
    return assessment
