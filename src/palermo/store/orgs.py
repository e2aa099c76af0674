"""Contributing organisations: register and list them."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, field_validator
from sqlalchemy import func, insert, select

from ..errors import ConflictError, InputError, NotFoundError
from ..standard import code_for, load_standard
from ..standard.countries import country_code
from ..standard.schema import organisation_types
from .db import Store
from .schema import case_record, ingest_batch, organisation


class Organisation(BaseModel):
    """A contributing organisation."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    type: str
    country: str
    created_at: datetime

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        """SQLite returns naive datetimes; they were written in UTC."""
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class OrganisationSummary(Organisation):
    """An organisation with what it has contributed."""

    batches: int
    cases: int


def _org_type(value: str) -> str:
    code = code_for(load_standard().field("org_Type"), value)
    if code is None:
        raise InputError(
            f"unknown organisation type {value!r}; expected one of {', '.join(c.name for c in organisation_types())}"
        )
    return code.name


def add_organisation(store: Store, name: str, org_type: str, country: str) -> Organisation:
    """Register a contributing organisation; ``org_type`` is an HTCDS org_Type, ``country`` any ISO 3166 form."""
    name = " ".join(name.split())
    if not name:
        raise InputError("the organisation name is empty")
    if len(name) > 200:
        raise InputError("the organisation name is longer than 200 characters")
    code = country_code(country)
    if code is None:
        raise InputError(
            f"unknown country {country!r}; give an ISO 3166 code (e.g. TH, THA) or an English name"
        )
    kind = _org_type(org_type)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        exists = conn.execute(select(organisation.c.id).where(organisation.c.name == name)).first()
        if exists is not None:
            raise ConflictError(f"an organisation called {name!r} is already registered")
        new_id = conn.execute(
            insert(organisation).values(name=name, type=kind, country=code, created_at=now)
        ).inserted_primary_key
    assert new_id is not None
    return Organisation(id=int(new_id[0]), name=name, type=kind, country=code, created_at=now)


def get_organisation(store: Store, name: str) -> Organisation:
    """The organisation called ``name``; the error says how to register it.

    Registered organisations never change, so each is read once per store and kept.
    """
    wanted = " ".join(name.split())
    known: Organisation | None = store.organisations.get(wanted)
    if known is not None:
        return known
    with store.engine.connect() as conn:
        row = conn.execute(select(organisation).where(organisation.c.name == wanted)).first()
    if row is None:
        raise NotFoundError(
            f"organisation {name!r} is not registered; register it first with "
            f"`palermo org add {name!r} --type NGO --country XX` (see `palermo org list`)"
        )
    found = store.organisations[wanted] = Organisation.model_validate(row._asdict())
    return found


def list_organisations(store: Store) -> list[OrganisationSummary]:
    """Every registered organisation, with its number of batches and stored cases."""
    batches = (
        select(ingest_batch.c.org_id, func.count().label("n")).group_by(ingest_batch.c.org_id).subquery()
    )
    cases = select(case_record.c.org_id, func.count().label("n")).group_by(case_record.c.org_id).subquery()
    query = (
        select(
            organisation,
            func.coalesce(batches.c.n, 0).label("batches"),
            func.coalesce(cases.c.n, 0).label("cases"),
        )
        .outerjoin(batches, batches.c.org_id == organisation.c.id)
        .outerjoin(cases, cases.c.org_id == organisation.c.id)
        .order_by(organisation.c.name)
    )
    with store.engine.connect() as conn:
        return [OrganisationSummary.model_validate(r._asdict()) for r in conn.execute(query)]
