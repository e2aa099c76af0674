"""The threat-assessment report over the cases one may see in aggregate: one's own and those shared.

A holder that granted ``aggregate`` access (or more) to its cases contributes to the counts; every
published count below k is suppressed as in ``palermo report``. On PostgreSQL the read runs as the
tenant with aggregate access, so the database admits no other organisation's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from .. import audit
from ..analyse.cases import REGIONS, CaseFilter
from ..errors import InputError
from ..reports.assessment import Assessment, build_assessment
from ..standard.countries import country_code, country_codes, country_name
from ..standard.fields import load_standard
from ..store.agreements import granted_levels
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import organisation
from ..store.tenancy import tenant_store

FORM_FIELD = "vic_TypeOfExploitation"


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
                 details={"holders": wanted, "k": k, "scope": assessment.scope,
                          "cases_in_scope": assessment.cases_in_scope})
    return assessment


@dataclass(frozen=True)
class FilterChoices:
    """What a report may be narrowed to: organisations, regions, forms and countries (code, label)."""

    holders: list[str]
    regions: tuple[str, ...]
    forms: list[tuple[str, str]]
    countries: list[tuple[str, str]]


def filter_choices(store: Store, org: str) -> FilterChoices:
    """The filters open to ``org``: the holders it may count and the standard's regions, forms and countries.

    Only code lists are offered, never values read from the cases, so the choices reveal nothing held.
    """
    holders = visible_holders(store, get_organisation(store, org).id)
    forms = [(c.name, c.label) for c in load_standard().field(FORM_FIELD).codes if c.name != "None"]
    countries = sorted(((c, country_name(c)) for c in country_codes()), key=lambda pair: pair[1])
    return FilterChoices(holders=holders, regions=REGIONS, forms=forms, countries=countries)


def _given(values: Sequence[str] | None) -> list[str]:
    return [v.strip() for v in values or () if v.strip()]


def report_filter(
    *,
    first_year: int | None = None,
    last_year: int | None = None,
    holders: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    forms: Sequence[str] | None = None,
    countries: Sequence[str] | None = None,
) -> CaseFilter:
    """The filter of a report asked for by the API or a page, every value checked; empty lists mean no limit."""
    if first_year is not None and last_year is not None and first_year > last_year:
        raise InputError(f"the first year ({first_year}) comes after the last ({last_year})")
    bad = [r for r in _given(regions) if r not in REGIONS]
    if bad:
        raise InputError(f"unknown region {bad[0]!r}; choose from {', '.join(REGIONS)}")
    known_forms = load_standard().field(FORM_FIELD).code_names
    bad = [f for f in _given(forms) if f not in known_forms]
    if bad:
        raise InputError(f"unknown form of exploitation {bad[0]!r}; choose from {', '.join(known_forms)}")
    codes = []
    for value in _given(countries):
        code = country_code(value)
        if code is None:
            raise InputError(f"{value!r} is not an ISO 3166 country code or name")
        codes.append(code)

    def kept(values: Sequence[str]) -> tuple[str, ...] | None:
        return tuple(dict.fromkeys(values)) or None

    # Holders are matched by exact name: one that is not seen (even blank) narrows the report to nothing.
    return CaseFilter(first_year=first_year, last_year=last_year, contributors=kept(holders or ()),
                      regions=kept(_given(regions)), forms=kept(_given(forms)), countries=kept(codes))
