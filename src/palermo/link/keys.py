"""Keyed digests of identifiers and person keys: what hit/no-hit looks up, never the values themselves.

A digest is HMAC-SHA256 of the normalised value under a secret key, tagged with its kind, so equal
values give equal digests and nothing else can be read from them. Plaintext mode uses the
deployment's own key (kept in the database, made on first use); encoded mode uses a key the
organisations share and the platform never sees, so the platform compares digests it cannot invert.

Kinds: ``phone``, ``email``, ``document``, ``bank_account`` (exact identifiers) and person keys
(``person:name_key+birth_year`` ...), the blocking keys of :mod:`palermo.link.model`, which find the
candidates a person query is then scored against.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..store.db import Store
from ..store.schema import deployment_secret
from .model import CANDIDATE_KEYS, BlockingKey

IDENTIFIER_KINDS = ("phone", "email", "document", "bank_account")
PERSON_KEYS: tuple[BlockingKey, ...] = tuple(
    key for key in CANDIDATE_KEYS if not set(key.columns) & set(IDENTIFIER_KINDS) and len(key.parts) > 1
)
"""Person keys precise enough for an index (names or birth dates combined); single loose keys are left out."""
_SEPARATOR = "\x1f"


NAME_COLUMNS = frozenset({"given", "family", "name_key", "name_sorted", "given_ph", "family_ph", "full_name"})


def names_only(kind: str) -> bool:
    """Whether a person-key kind holds nothing but names (a name alone is too weak to link on)."""
    if not kind.startswith("person:"):
        return False
    parts = kind.removeprefix("person:").split("+")
    return all(part.rstrip("0123456789") in NAME_COLUMNS for part in parts)


def person_kind(key: BlockingKey) -> str:
    """The kind under which a person key is indexed (``person:name_key+birth_year``)."""
    return "person:" + "+".join(f"{column}{n or ''}" for column, n in key.parts)


def key_values(persons: pl.DataFrame) -> pl.DataFrame:
    """``unique_id, kind, value`` for every identifier and person key a prepared person frame holds."""
    parts: list[pl.DataFrame] = []
    for kind in IDENTIFIER_KINDS:
        if kind in persons.columns:
            parts.append(
                persons.select("unique_id", pl.lit(kind).alias("kind"), pl.col(kind).alias("value")).drop_nulls()
            )
    for key in PERSON_KEYS:
        if all(column in persons.columns for column in key.columns):
            value = pl.concat_str(key.expressions(), separator=_SEPARATOR)
            parts.append(
                persons.select("unique_id", pl.lit(person_kind(key)).alias("kind"), value.alias("value")).drop_nulls()
            )
    if not parts:
        return pl.DataFrame(schema={"unique_id": pl.Utf8, "kind": pl.Utf8, "value": pl.Utf8})
    return pl.concat(parts)


def record_key_values(record: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """``(kind, value)`` of every identifier and person key of one prepared record: :func:`key_values` for one row.

    A hit/no-hit query has one record; a polars frame of one row costs some fifty small queries here.
    """
    out = [(kind, value) for kind in IDENTIFIER_KINDS if (value := record.get(kind)) is not None]
    for key in PERSON_KEYS:
        parts = [(record.get(column), n) for column, n in key.parts]
        present = [value[:n] if n else value for value, n in parts if value is not None]
        if len(present) == len(parts):
            out.append((person_kind(key), _SEPARATOR.join(present)))
    return out


def digest(secret: bytes, kind: str, value: str) -> str:
    """The keyed digest of one value of one kind (hex, 64 characters)."""
    return hmac.new(secret, f"{kind}{_SEPARATOR}{value}".encode(), hashlib.sha256).hexdigest()


def digests(values: pl.DataFrame, secret: bytes) -> pl.DataFrame:
    """Replace ``value`` by ``digest`` in a :func:`key_values` frame (one HMAC per distinct kind and value)."""
    distinct = values.select("kind", "value").unique()
    computed = [digest(secret, k, v) for k, v in distinct.iter_rows()]
    lookup = distinct.with_columns(pl.Series("digest", computed, dtype=pl.Utf8))
    return values.join(lookup, on=["kind", "value"]).select("unique_id", "kind", "digest")


def deployment_key(store: Store, name: str = "identity-index") -> bytes:
    """The deployment's own secret key ``name``, created (32 random bytes) the first time it is asked for."""
    if name in store.secrets:
        return store.secrets[name]
    with store.engine.connect() as conn:
        found = conn.execute(select(deployment_secret.c.value).where(deployment_secret.c.name == name)).scalar()
    if found is not None:
        store.secrets[name] = bytes(found)
        return store.secrets[name]
    try:
        with store.engine.begin() as conn:
            conn.execute(
                deployment_secret.insert(),
                {"name": name, "value": secrets.token_bytes(32), "created_at": datetime.now(UTC)},
            )
    except IntegrityError:
        pass  # made by a concurrent caller: read theirs
    return deployment_key(store, name)
