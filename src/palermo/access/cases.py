"""Reading case records within one's rights.

An organisation reads its own cases in full, and another organisation's cases at the level that
organisation granted it (:mod:`palermo.store.agreements`): ``full`` gives the record with its
provenance (file and row); ``pseudonymised`` gives the analytical fields under a keyed pseudonym,
without provenance or unmapped source columns; lower levels give no records. Identifying fields
come only with ``identifying=True`` and only for holders that granted ``identities`` in full.
Every read is written to the audit log with the records returned and the stated purpose. The query
runs as the tenant (:func:`palermo.store.tenancy.tenant_store`), so on PostgreSQL the database
filters it as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Select, Text, and_, cast, select

from .. import audit
from ..errors import InputError, PermissionDeniedError
from ..link.keys import deployment_key
from ..store.agreements import Level, granted_levels_by_category, rank
from ..store.db import Store
from ..store.export import escape_frame, read_frame
from ..store.orgs import get_organisation
from ..store.schema import case_record, ingest_batch, organisation, person_identity
from ..store.tenancy import tenant_store

MAX_PAGE = 1000
ROW_LEVEL: Level = "pseudonymised"
_PROVENANCE = {"id", "org_id", "batch_id", "source_row", "extra"}
_ANALYTICAL = [c for c in case_record.c if c.name not in _PROVENANCE]
_PERSONAL = [c for c in person_identity.c if c.name not in {"id", "org_id", "batch_id", "source_row", "extra"}]


@dataclass(frozen=True)
class CasePage:
    """One page of readable cases: each with ``ref``, ``organisation``, ``level`` and its fields."""

    cases: list[dict[str, Any]]
    offset: int
    next_offset: int | None
    audit_entry: int


def pseudonym(key: bytes, case_id: int) -> str:
    """A case's keyed pseudonym: stable within the deployment, meaningless outside it."""
    return "p" + hmac.new(key, f"case:{case_id}".encode(), hashlib.sha256).hexdigest()[:23]


def _query(row_orgs: list[int], identity_orgs: list[int], identifying: bool) -> Select[Any]:
    columns: list[Any] = [
        case_record.c.id, case_record.c.org_id, organisation.c.name.label("organisation"),
        ingest_batch.c.file_name, case_record.c.source_row, cast(case_record.c.extra, Text).label("extra"),
        *_ANALYTICAL,
    ]
    source = case_record.join(organisation, organisation.c.id == case_record.c.org_id).join(
        ingest_batch, ingest_batch.c.id == case_record.c.batch_id
    )
    if identifying:
        columns += _PERSONAL
        source = source.outerjoin(
            person_identity,
            and_(person_identity.c.batch_id == case_record.c.batch_id,
                 person_identity.c.source_row == case_record.c.source_row,
                 person_identity.c.org_id.in_(identity_orgs)),
        )
    return select(*columns).select_from(source).where(case_record.c.org_id.in_(row_orgs)).order_by(case_record.c.id)


def _shape(row: dict[str, Any], level: str, key: bytes, identifying: bool, identities: set[int]) -> dict[str, Any]:
    case_id = int(row["id"])
    out: dict[str, Any] = {"ref": str(case_id) if level == "full" else pseudonym(key, case_id),
                           "organisation": row["organisation"], "level": level}
    if level == "full":
        out.update(file=row["file_name"], row=row["source_row"], unmapped=_json_value(row["extra"]))
    out.update({c.name: row[c.name] for c in _ANALYTICAL})
    if identifying:
        personal = {c.name: row[c.name] for c in _PERSONAL} if int(row["org_id"]) in identities else None
        out["identifying"] = personal
    return out


def _readable(
    store: Store, viewer_id: int, viewer: str, holder: str | None, minimum: Level
) -> tuple[dict[int, Level], set[int]]:
    """Holder id -> level for the holders whose cases ``viewer`` may read at ``minimum`` or above, and the
    ids of the holders that granted ``viewer`` their identities in full (one query for both)."""
    granted = granted_levels_by_category(store, viewer_id, ("cases", "identities"))
    identities = {o for o, lv in granted["identities"].items() if lv == "full"}
    levels = {o: lv for o, lv in granted["cases"].items() if rank(lv) >= rank(minimum)}
    if holder is None:
        return levels, identities
    owner = get_organisation(store, holder)
    if owner.id not in levels:
        raise PermissionDeniedError(f"{owner.name} has not shared its cases with {viewer} at the {minimum} level")
    return {owner.id: levels[owner.id]}, identities


def read_cases_page(
    store: Store,
    org: str,
    *,
    actor: str,
    purpose: str,
    holder: str | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    identifying: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> CasePage:
    """A page of the cases ``org`` may read at record level (optionally of one ``holder``), in id order."""
    if not purpose.strip():
        raise InputError("state the purpose of reading these cases", column="purpose")
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"a page holds 1 to {MAX_PAGE} cases", column="limit")
    if offset < 0:
        raise InputError("the offset cannot be negative", column="offset")
    viewer = get_organisation(store, org)
    levels, identities = _readable(store, viewer.id, viewer.name, holder, ROW_LEVEL)
    query = _query(sorted(levels), sorted(identities), identifying)
    if first_year is not None:
        query = query.where(case_record.c.cas_registration_year >= first_year)
    if last_year is not None:
        query = query.where(case_record.c.cas_registration_year <= last_year)
    with tenant_store(store, viewer.id).engine.connect() as conn:
        rows = conn.execute(query.limit(limit).offset(offset)).mappings().all()
    key = deployment_key(store, "case-pseudonyms")
    cases = [_shape(dict(r), levels[int(r["org_id"])], key, identifying, identities) for r in rows]
    entry = audit.append(
        store, actor=actor, org_id=viewer.id, action="cases.read", purpose=purpose,
        records=[c["ref"] for c in cases],
        details={"holders": sorted({c["organisation"] for c in cases}), "identifying": identifying,
                 "offset": offset, "count": len(cases)},
    )
    next_offset = offset + len(cases) if len(cases) == limit else None
    return CasePage(cases=cases, offset=offset, next_offset=next_offset, audit_entry=entry)


def export_cases_frame(
    store: Store, org: str, *, actor: str, purpose: str, holder: str | None = None, identifying: bool = False
) -> pl.DataFrame:
    """Every case ``org`` may read in full (its own and those granted ``full``), formulas escaped, audited."""
    if not purpose.strip():
        raise InputError("state the purpose of this export", column="purpose")
    viewer = get_organisation(store, org)
    levels, identities = _readable(store, viewer.id, viewer.name, holder, "full")
    query = _query(sorted(levels), sorted(identities), identifying)
    frame = read_frame(tenant_store(store, viewer.id), query)
    frame = frame.rename({"id": "ref", "file_name": "file", "source_row": "row"}).drop("org_id")
    audit.append(
        store, actor=actor, org_id=viewer.id, action="cases.export", purpose=purpose,
        records=[str(r) for r in frame.get_column("ref").to_list()],
        details={"holders": sorted(set(frame.get_column("organisation").to_list())), "identifying": identifying,
                 "count": frame.height},
    )
    return escape_frame(frame)


def _json_value(text: str | None) -> Any:
    return None if text is None else json.loads(text)
