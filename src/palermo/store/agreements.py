"""Sharing agreements: organisation A grants organisation B a level of access to a category of its data.

Levels, from least to most: ``none``, ``aggregate`` (only statistics, small cells suppressed),
``pseudonymised`` (record-level analytical fields under a pseudonym, no provenance or free text),
``full`` (everything the category holds). Categories: ``cases`` (analytical case fields),
``identities`` (names, dates of birth, contacts, documents) and ``linkage`` (which of B's records the
linkage found to be the same person as A's). An organisation always has full access to its own data;
anything not granted is ``none``. An agreement holds for a period and can be revoked at once; when
several hold, the highest level counts. Every grant and revocation is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import Connection, Select, and_, or_, select, update
from sqlalchemy.orm import aliased

from .. import audit
from ..errors import InputError, NotFoundError, PermissionDeniedError
from .db import Store
from .orgs import get_organisation
from .schema import organisation, sharing_agreement

Level = Literal["none", "aggregate", "pseudonymised", "full"]
Category = Literal["cases", "identities", "linkage"]
LEVELS: tuple[Level, ...] = get_args(Level)
CATEGORIES: tuple[Category, ...] = get_args(Category)
MAX_DAYS = 3650


@dataclass(frozen=True)
class Agreement:
    """One grant of access."""

    id: int
    grantor: str
    grantee: str
    category: Category
    level: Level
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None

    def active(self, at: datetime | None = None) -> bool:
        """Whether the agreement holds at ``at`` (now by default)."""
        moment = at or datetime.now(UTC)
        return self.revoked_at is None and self.valid_from <= moment < self.valid_until


def rank(level: Level) -> int:
    """The level's place in the order none < aggregate < pseudonymised < full."""
    return LEVELS.index(level)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check(category: str, level: str) -> None:
    if category not in CATEGORIES:
        raise InputError(f"unknown data category {category!r}; expected one of {', '.join(CATEGORIES)}",
                         column="category")
    if level not in LEVELS:
        raise InputError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}", column="level")


def _query() -> Select[Any]:
    grantor, grantee = aliased(organisation), aliased(organisation)
    a = sharing_agreement.c
    return select(
        a.id, grantor.c.name.label("grantor"), grantee.c.name.label("grantee"), a.category, a.level, a.valid_from,
        a.valid_until, a.created_at, a.created_by, a.revoked_at, a.revoked_by,
    ).select_from(
        sharing_agreement.join(grantor, grantor.c.id == a.grantor_org_id).join(
            grantee, grantee.c.id == a.grantee_org_id
        )
    )


def _agreement(row: dict[str, object]) -> Agreement:
    data = dict(row)
    for key in ("valid_from", "valid_until", "created_at", "revoked_at"):
        if data[key] is not None:
            data[key] = _aware(data[key])  # type: ignore[arg-type]
    return Agreement(**data)  # type: ignore[arg-type]


def grant(
    store: Store,
    grantor: str,
    grantee: str,
    category: str,
    level: str,
    *,
    by: str,
    days: int = 365,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    purpose: str = "sharing agreement",
) -> Agreement:
    """Organisation ``grantor`` grants ``grantee`` ``level`` access to its ``category`` data.

    The agreement holds from ``valid_from`` (default: now) for ``days`` days, or until ``valid_until`` if given.
    """
    _check(category, level)
    if valid_until is None and not 1 <= days <= MAX_DAYS:
        raise InputError(f"an agreement lasts 1 to {MAX_DAYS} days", column="days")
    try:
        start = _aware(valid_from) if valid_from is not None else datetime.now(UTC)
        end = _aware(valid_until) if valid_until is not None else start + timedelta(days=days)
    except OverflowError:
        raise InputError("a date of the agreement's period is out of range", column="valid_from") from None
    if end <= start:
        raise InputError(f"the agreement would end ({end:%Y-%m-%d %H:%M} UTC) before it starts "
                         f"({start:%Y-%m-%d %H:%M} UTC)", column="valid_until")
    if end - start > timedelta(days=MAX_DAYS):
        raise InputError(f"an agreement lasts at most {MAX_DAYS} days", column="valid_until")
    owner, other = get_organisation(store, grantor), get_organisation(store, grantee)
    if owner.id == other.id:
        raise InputError("an organisation always has full access to its own data; name another organisation",
                         column="grantee")
    now = datetime.now(UTC)
    with audit.transaction(store) as conn:
        new_id = conn.execute(
            sharing_agreement.insert().returning(sharing_agreement.c.id),
            {"grantor_org_id": owner.id, "grantee_org_id": other.id, "category": category, "level": level,
             "valid_from": start, "valid_until": end, "created_at": now, "created_by": by},
        ).scalar_one()
        audit.append(conn, actor=by, org_id=owner.id, action="agreement.grant", purpose=purpose,
                     details={"agreement": int(new_id), "grantee": other.name, "category": category, "level": level,
                              "valid_from": start.isoformat(), "valid_until": end.isoformat()})
        return _fetch(conn, int(new_id))


def _fetch(conn: Connection, agreement_id: int) -> Agreement:
    row = conn.execute(_query().where(sharing_agreement.c.id == agreement_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no sharing agreement {agreement_id}")
    return _agreement(dict(row))


def revoke(store: Store, agreement_id: int, *, by: str, org: str | None, purpose: str = "revocation") -> Agreement:
    """Revoke an agreement at once; ``org`` must be its grantor (None: a deployment administrator)."""
    with audit.transaction(store) as conn:
        found = _fetch(conn, agreement_id)
        if org is not None and " ".join(org.split()) not in (found.grantor, found.grantee):
            raise NotFoundError(f"no sharing agreement {agreement_id}")
        if org is not None and " ".join(org.split()) != found.grantor:
            raise PermissionDeniedError("only the granting organisation can revoke an agreement")
        if found.revoked_at is not None:
            return found
        conn.execute(
            update(sharing_agreement).where(sharing_agreement.c.id == agreement_id)
            .values(revoked_at=datetime.now(UTC), revoked_by=by)
        )
        owner = get_organisation(store, found.grantor)
        audit.append(conn, actor=by, org_id=owner.id, action="agreement.revoke", purpose=purpose,
                     details={"agreement": agreement_id})
        return _fetch(conn, agreement_id)


def list_agreements(store: Store, org: str | None = None) -> list[Agreement]:
    """Every agreement (newest first), or those ``org`` grants or receives."""
    query = _query().order_by(sharing_agreement.c.id.desc())
    if org is not None:
        org_id = get_organisation(store, org).id
        query = query.where(or_(sharing_agreement.c.grantor_org_id == org_id,
                                sharing_agreement.c.grantee_org_id == org_id))
    with store.engine.connect() as conn:
        return [_agreement(dict(r)) for r in conn.execute(query).mappings()]


def granted_levels(store: Store, viewer_org_id: int, category: str, at: datetime | None = None) -> dict[int, Level]:
    """Owner organisation id -> the level ``viewer_org_id`` has on its ``category`` data at ``at``.

    The viewer's own organisation is ``full``; organisations absent from the result are ``none``.
    """
    return granted_levels_by_category(store, viewer_org_id, (category,), at)[category]


def granted_levels_by_category(
    store: Store, viewer_org_id: int, categories: tuple[str, ...], at: datetime | None = None
) -> dict[str, dict[int, Level]]:
    """:func:`granted_levels` of several categories in one query: category -> owner id -> level."""
    for category in categories:
        _check(category, "none")
    moment = at or datetime.now(UTC)
    a = sharing_agreement.c
    query = select(a.category, a.grantor_org_id, a.level).where(
        and_(a.grantee_org_id == viewer_org_id, a.category.in_(categories), a.revoked_at.is_(None),
             a.valid_from <= moment, a.valid_until > moment)
    )
    levels: dict[str, dict[int, Level]] = {category: {} for category in categories}
    with store.engine.connect() as conn:
        for category, owner, level in conn.execute(query):
            found = levels[category]
            if level in LEVELS and rank(level) > rank(found.get(int(owner), "none")):
                found[int(owner)] = level
    for found in levels.values():
        found[int(viewer_org_id)] = "full"
    return {category: {o: lv for o, lv in found.items() if lv != "none"} for category, found in levels.items()}


def orgs_at_least(store: Store, viewer_org_id: int, category: str, minimum: Level) -> list[int]:
    """Ids of the organisations whose ``category`` data ``viewer_org_id`` may see at ``minimum`` or above."""
    levels = granted_levels(store, viewer_org_id, category)
    return sorted(owner for owner, level in levels.items() if rank(level) >= rank(minimum))
