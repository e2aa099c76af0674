"""Hit/no-hit: "does anyone know this person, phone or account?", answered without disclosing anything.

The answer is only hit or no hit and which organisations to contact. Each organisation holding a
matching record gets a notice and decides whether to disclose it (owner-approved disclosure, as
FIU.net's Ma3tch and Europol's SIENA/EIS work). Every query, notice and decision is recorded with
who, when and the stated purpose, and appended to the audit log (:mod:`palermo.audit`).

Lookups go through keyed digests (:mod:`palermo.link.keys`), indexed in ``identity_key``:

* plaintext mode: the platform normalises the query and digests it with the deployment key; a
  person query finds candidates by person keys, then the trained model scores them;
* encoded mode: the asking organisation sends digests made with the organisations' shared key and,
  for a person, its Bloom-filter encoding; the platform matches digests and Dice similarity against
  the encodings the holders shared, and never sees a name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, Literal

import polars as pl
from sqlalchemy import Connection, delete, func, insert, select, update

from .. import audit
from ..errors import ConflictError, InputError, NotFoundError
from ..store.bulk import copy_frame
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import hit_notice, hit_query, identity_key, organisation
from .history import latest_model
from .keys import IDENTIFIER_KINDS, deployment_key, digest, digests, key_values, record_key_values
from .person_record import prepare_candidates, prepare_record
from .realtime import score_against
from .records import read_person_records_by_id

Kind = Literal["person", "phone", "email", "document", "bank_account"]
KINDS: tuple[str, ...] = ("person", *IDENTIFIER_KINDS)
PERSON_THRESHOLD = 0.9
MAX_PERSON_CANDIDATES: int | None = 40
"""Candidates a person query scores at most: those sharing the most person keys with it (a common
name can bring hundreds through its looser keys, while the same person shares most of its keys).
``bench/hits.py`` measures recall and time with and without the limit; None scores them all."""
_PLAIN = "plaintext"


@dataclass(frozen=True)
class HitAnswer:
    """What the asking organisation learns: hit or not, and whom to contact."""

    query_id: int
    hit: bool
    organisations: list[str]


@dataclass(frozen=True)
class Notice:
    """A notice to a holder that someone asked about a record it holds."""

    id: int
    query_id: int
    asked_at: datetime
    asking_org: str
    asked_by: str
    purpose: str
    kind: str
    mode: str
    owner_org: str
    record_ref: str
    score: float
    status: str
    decided_at: datetime | None
    decided_by: str | None
    note: str | None


def index_plaintext(store: Store, persons: pl.DataFrame, owners: pl.DataFrame) -> int:
    """Rebuild the plaintext digest index of every stored person record; return the number of keys.

    ``owners`` maps ``unique_id`` (person record id) to ``org_id``.
    """
    keyed = digests(key_values(persons), deployment_key(store)).join(owners, on="unique_id")
    with store.engine.begin() as conn:
        conn.execute(delete(identity_key).where(identity_key.c.mode == _PLAIN))
        if keyed.height and store.dialect == "postgresql":
            rows = keyed.select(
                "org_id", pl.lit(_PLAIN).alias("mode"), pl.col("unique_id").alias("record_ref"), "kind", "digest"
            )
            copy_frame(conn, identity_key, rows)
        elif keyed.height:
            conn.execute(
                insert(identity_key),
                [
                    {"org_id": org_id, "mode": _PLAIN, "record_ref": uid, "kind": kind, "digest": dig}
                    for uid, kind, dig, org_id in keyed.select("unique_id", "kind", "digest", "org_id").iter_rows()
                ],
            )
    return keyed.height


def _query_record(kind: str, query: dict[str, str]) -> dict[str, str | None]:
    """The query as one prepared record: a whole person, or just the one identifier (normalised alike)."""
    if kind == "person":
        return prepare_record({**query, "unique_id": "__query__"})
    if "value" not in query or not query["value"].strip():
        raise InputError(f"a {kind} query needs a value", column=kind)
    return prepare_record({"unique_id": "__query__", kind: query["value"], "phone_region": query.get("region")})


def check_query(kind: str, purpose: str) -> None:
    """Refuse an unknown kind of query or one without a stated purpose."""
    if kind not in KINDS:
        raise InputError(f"unknown query kind {kind!r}; expected one of {', '.join(KINDS)}", column="kind")
    if not purpose.strip():
        raise InputError("every query needs a stated purpose", column="purpose")


def _looks_up(kind: str, key_kind: str) -> bool:
    """Whether a query of ``kind`` looks up keys of ``key_kind`` (as :func:`keys_of_kind`, for one key)."""
    return key_kind.startswith("person:") if kind == "person" else key_kind == kind


def keys_of_kind(keys: pl.DataFrame, kind: str) -> pl.DataFrame:
    """The keys (``kind`` column) a query of ``kind`` looks up: every person key, or the one identifier."""
    return keys.filter(pl.col("kind").str.starts_with("person:") if kind == "person" else pl.col("kind") == kind)


def find_candidates(conn: Connection, mode: str, kinds_digests: pl.DataFrame, asking_org: int) -> pl.DataFrame:
    """Other organisations' records (org_id, record_ref, kind) indexed under one of these digests in ``mode``."""
    if kinds_digests.is_empty():
        return pl.DataFrame(schema={"org_id": pl.Int64, "record_ref": pl.Utf8, "kind": pl.Utf8})
    if MAX_PERSON_CANDIDATES is not None and kinds_digests["kind"].str.starts_with("person:").all():
        return _best_person_candidates(conn, mode, kinds_digests, asking_org, MAX_PERSON_CANDIDATES)
    found = conn.execute(
        select(identity_key.c.org_id, identity_key.c.record_ref, identity_key.c.kind).where(
            identity_key.c.mode == mode,
            identity_key.c.org_id != asking_org,
            identity_key.c.digest.in_(kinds_digests["digest"].to_list()),
        )
    ).all()
    frame = pl.DataFrame(found, schema={"org_id": pl.Int64, "record_ref": pl.Utf8, "kind": pl.Utf8}, orient="row")
    # A digest is specific to its kind already; keep only the kinds asked for, as a second check.
    return frame.filter(pl.col("kind").is_in(kinds_digests["kind"].implode()))


def _best_person_candidates(
    conn: Connection, mode: str, kinds_digests: pl.DataFrame, asking_org: int, limit: int
) -> pl.DataFrame:
    """The ``limit`` records sharing the most of these person keys (then the lowest refs), as find_candidates."""
    shared = func.count().label("shared")
    rows = conn.execute(
        select(identity_key.c.org_id, identity_key.c.record_ref, shared)
        .where(
            identity_key.c.mode == mode,
            identity_key.c.org_id != asking_org,
            identity_key.c.digest.in_(kinds_digests["digest"].to_list()),
            identity_key.c.kind.in_(kinds_digests["kind"].unique().to_list()),
        )
        .group_by(identity_key.c.org_id, identity_key.c.record_ref)
        .order_by(shared.desc(), identity_key.c.org_id, identity_key.c.record_ref)
        .limit(limit)
    ).all()
    return pl.DataFrame(
        [(org_id, ref, "person") for org_id, ref, _ in rows],
        schema={"org_id": pl.Int64, "record_ref": pl.Utf8, "kind": pl.Utf8}, orient="row",
    )


def _score_person_candidates(
    store: Store, query: dict[str, str | None], candidates: pl.DataFrame, model: dict[str, Any], threshold: float
) -> pl.DataFrame:
    refs = candidates["record_ref"].unique().to_list()
    records = prepare_candidates(read_person_records_by_id(store, [int(ref) for ref in refs]).iter_rows(named=True),
                                 query)
    scores = score_against(pl.DataFrame([query], schema=records.schema), records, model)
    return (
        candidates.unique("record_ref")
        .join(scores, left_on="record_ref", right_on="unique_id")
        .filter(pl.col("match_probability") >= threshold)
        .select("org_id", "record_ref", pl.col("match_probability").alias("score"))
    )


def ask(
    store: Store,
    *,
    org: str,
    asked_by: str,
    purpose: str,
    kind: str,
    query: dict[str, str],
    threshold: float = PERSON_THRESHOLD,
) -> HitAnswer:
    """Ask, in plaintext mode, whether another organisation holds this person or identifier.

    ``query`` holds ``value`` (and optionally ``region``) for an identifier, or person fields
    (``given_name``, ``family_name``, ``full_name``, ``birth_date``, ``birth_year``, ``sex``,
    ``citizenship``) for a person.
    """
    check_query(kind, purpose)
    asking = get_organisation(store, org)
    prepared = _query_record(kind, query)
    values = [(key, value) for key, value in record_key_values(prepared) if _looks_up(kind, key)]
    if not values:
        raise InputError(f"the {kind} query holds nothing to look up (after normalisation)", column=kind)
    secret = deployment_key(store)
    keyed = pl.DataFrame({"kind": [k for k, _ in values], "digest": [digest(secret, k, v) for k, v in values]},
                         schema={"kind": pl.Utf8, "digest": pl.Utf8})
    with store.engine.connect() as conn:
        candidates = find_candidates(conn, _PLAIN, keyed, asking.id)
    if kind == "person" and candidates.height:
        model = latest_model(store)
        if model is None:
            raise NotFoundError("person queries need a trained model: run `palermo link run` first")
        matches = _score_person_candidates(store, prepared, candidates, model, threshold)
    else:
        matches = candidates.unique("record_ref").select("org_id", "record_ref", pl.lit(1.0).alias("score"))
    return record_query(store, asking.id, asked_by, purpose, kind, _PLAIN, matches)


def record_query(
    store: Store, org_id: int, asked_by: str, purpose: str, kind: str, mode: str, matches: pl.DataFrame
) -> HitAnswer:
    """Record a query, a notice per matching record and an audit entry (one transaction); return the answer."""
    with audit.transaction(store) as conn:
        query_id = conn.execute(
            insert(hit_query).returning(hit_query.c.id),
            {
                "asked_at": datetime.now(UTC),
                "org_id": org_id,
                "asked_by": asked_by,
                "kind": kind,
                "mode": mode,
                "purpose": purpose,
                "hit": matches.height > 0,
            },
        ).scalar_one()
        if matches.height:
            conn.execute(
                insert(hit_notice),
                [
                    {"query_id": query_id, "owner_org_id": owner, "record_ref": ref, "score": score,
                     "status": "pending"}
                    for owner, ref, score in matches.select("org_id", "record_ref", "score").iter_rows()
                ],
            )
        owners = sorted(set(matches["org_id"].to_list()))
        names = (
            conn.execute(select(organisation.c.name).where(organisation.c.id.in_(owners))).scalars().all()
            if owners else []
        )
        audit.append(
            conn, actor=asked_by, org_id=org_id, action="hit.ask", purpose=purpose,
            records=[f"{owner}:{ref}" for owner, ref in matches.select("org_id", "record_ref").iter_rows()],
            details={"query_id": int(query_id), "kind": kind, "mode": mode, "hit": bool(owners)},
        )
    return HitAnswer(query_id=int(query_id), hit=bool(owners), organisations=sorted(str(n) for n in names))


def _notices(conn: Connection, *conditions: Any) -> list[Notice]:
    asker, owner = organisation.alias("asker"), organisation.alias("owner")
    rows = conn.execute(
        select(
            hit_notice.c.id, hit_notice.c.query_id, hit_query.c.asked_at, asker.c.name, hit_query.c.asked_by,
            hit_query.c.purpose, hit_query.c.kind, hit_query.c.mode, owner.c.name, hit_notice.c.record_ref,
            hit_notice.c.score, hit_notice.c.status, hit_notice.c.decided_at, hit_notice.c.decided_by,
            hit_notice.c.note,
        )
        .select_from(
            hit_notice.join(hit_query, hit_query.c.id == hit_notice.c.query_id)
            .join(asker, asker.c.id == hit_query.c.org_id)
            .join(owner, owner.c.id == hit_notice.c.owner_org_id)
        )
        .where(*conditions)
        .order_by(hit_notice.c.id)
    ).all()
    names = [field.name for field in fields(Notice)]
    return [Notice(**dict(zip(names, row, strict=True))) for row in rows]


def inbox(store: Store, org: str, *, pending_only: bool = False) -> list[Notice]:
    """Notices to ``org`` about records it holds (pending first if ``pending_only`` is false)."""
    owner = get_organisation(store, org)
    conditions = [hit_notice.c.owner_org_id == owner.id]
    if pending_only:
        conditions.append(hit_notice.c.status == "pending")
    with store.engine.connect() as conn:
        return _notices(conn, *conditions)


def answers(store: Store, org: str) -> list[Notice]:
    """The notices raised by ``org``'s own queries, with each holder's decision."""
    asking = get_organisation(store, org)
    with store.engine.connect() as conn:
        return _notices(conn, hit_query.c.org_id == asking.id)


def decide(store: Store, notice_id: int, *, org: str, decided_by: str, disclose: bool, note: str = "") -> Notice:
    """The holder ``org`` discloses or declines notice ``notice_id``; a decision is final."""
    owner = get_organisation(store, org)
    with audit.transaction(store) as conn:
        found = _notices(conn, hit_notice.c.id == notice_id, hit_notice.c.owner_org_id == owner.id)
        if not found:
            raise NotFoundError(f"no notice {notice_id} for organisation {org!r}")
        if found[0].status != "pending":
            raise ConflictError(f"notice {notice_id} was already {found[0].status}")
        conn.execute(
            update(hit_notice)
            .where(hit_notice.c.id == notice_id, hit_notice.c.status == "pending")
            .values(
                status="disclosed" if disclose else "declined",
                decided_at=datetime.now(UTC),
                decided_by=decided_by,
                note=note or None,
            )
        )
        decision = "disclosed" if disclose else "declined"
        audit.append(
            conn, actor=decided_by, org_id=owner.id, action="hit.decide",
            purpose=f"answer hit query {found[0].query_id}: {decision}",
            records=[f"{owner.id}:{found[0].record_ref}"],
            details={"notice_id": notice_id, "query_id": found[0].query_id, "decision": decision, "note": note},
        )
        return _notices(conn, hit_notice.c.id == notice_id)[0]
