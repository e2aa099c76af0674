"""Encoded sharing: what an organisation sends instead of names, and linkage and hit/no-hit on it.

An organisation encodes its person records locally (:func:`encode_persons`) with the secret the
organisations share and the platform never holds: each record becomes a keyed Bloom-filter
encoding (:mod:`palermo.link.bloom`) plus keyed digests of its identifiers and person keys
(:mod:`palermo.link.keys`). The file carries the schema's fingerprint, so encodings made with
another schema are refused rather than silently compared.

The linking party then matches two files (:func:`match_files`: candidates share a digest, then Dice
similarity, one-to-one), or the platform keeps shared encodings (:func:`share_encodings`) and
answers encoded hit/no-hit queries against them (:func:`ask_encoded`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import delete, insert, select

from ..errors import InputError
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import identity_key, shared_encoding
from .bloom import EncodingSchema, FieldSpec, Packed, derive_key, encode
from .encoded import dice_pairs, link_encoded
from .hits import HitAnswer, check_query, find_candidates, keys_of_kind, record_query
from .keys import digests, key_values, names_only

PERSON_SCHEMA = EncodingSchema(
    fields=(
        FieldSpec("name_sorted", hashes=20),
        FieldSpec("given", hashes=10),
        FieldSpec("family", hashes=10),
        FieldSpec("birth_date", ngram=1, positional=True, hashes=15),
        FieldSpec("birth_year", kind="exact", hashes=5),
        FieldSpec("citizenship", kind="exact", hashes=3),
        FieldSpec("sex", kind="exact", hashes=2),
        FieldSpec("phone", kind="exact", hashes=15),
        FieldSpec("document", ngram=1, positional=True, hashes=10),
        FieldSpec("email", kind="exact", hashes=10),
    ),
    length=1024,
)
"""The default encoding of a prepared person record (names swap-proof through ``name_sorted``; a shared
phone, document or e-mail adds to the similarity, a missing one sets no bits)."""
DEFAULT_THRESHOLD = 0.8
_MODE = "encoded"
_META_SCHEMA = b"palermo.encoding_schema"


@dataclass(frozen=True)
class Encoded:
    """An organisation's encoded records: refs, packed bits, keyed digests, and the schema used."""

    refs: list[str]
    bits: Packed
    keys: pl.DataFrame
    """record_ref, kind, digest."""
    schema: EncodingSchema


def encode_persons(persons: pl.DataFrame, secret: bytes, schema: EncodingSchema = PERSON_SCHEMA) -> Encoded:
    """Encode prepared person records (see :mod:`palermo.link.persons`) with the shared ``secret``."""
    bits = encode(persons, schema, secret)
    keys = digests(key_values(persons), derive_key(secret, "identity-digests")).rename({"unique_id": "record_ref"})
    return Encoded(refs=persons["unique_id"].to_list(), bits=bits, keys=keys, schema=schema)


def write_encoded(encoded: Encoded, path: Path) -> None:
    """Write encodings as Parquet: one row per record (ref, bits, digests), the schema in the file's metadata."""
    grouped = encoded.keys.group_by("record_ref").agg(
        pl.concat_str(["kind", "digest"], separator="=").alias("keys")
    )
    frame = pl.DataFrame(
        {"record_ref": encoded.refs, "bits": [row.tobytes() for row in encoded.bits]},
        schema={"record_ref": pl.Utf8, "bits": pl.Binary},
    ).join(grouped, on="record_ref", how="left")
    table = frame.to_arrow()
    table = table.replace_schema_metadata({_META_SCHEMA: encoded.schema.to_json().encode()})
    pq.write_table(table, path)


def read_encoded(path: Path) -> Encoded:
    """Read a file written by :func:`write_encoded`; names the file when it is not one."""
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"not a readable Parquet file of encodings ({exc})", file=str(path)) from exc
    metadata = table.schema.metadata or {}
    if _META_SCHEMA not in metadata or not {"record_ref", "bits", "keys"} <= set(table.column_names):
        raise InputError("not a palermo encodings file (no encoding schema or columns)", file=str(path))
    schema = EncodingSchema.from_json(metadata[_META_SCHEMA])
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    width = schema.bits // 8
    raw = frame["bits"].to_list()
    if any(len(value) != width for value in raw):
        raise InputError(f"every encoding must be {width} bytes for its schema", file=str(path), column="bits")
    bits = np.frombuffer(b"".join(raw), dtype=np.uint8).reshape(len(raw), width)
    keys = (
        frame.select("record_ref", "keys").explode("keys").drop_nulls("keys")
        .select("record_ref", pl.col("keys").str.split_exact("=", 1).struct.rename_fields(["kind", "digest"]))
        .unnest("keys")
    )
    return Encoded(refs=frame["record_ref"].to_list(), bits=bits, keys=keys, schema=schema)


def _blocks(encoded: Encoded) -> pl.DataFrame:
    """One column per digest kind (null where a record has none), rows in record order."""
    wide = encoded.keys.unique(["record_ref", "kind"]).pivot(on="kind", index="record_ref", values="digest")
    return pl.DataFrame({"record_ref": encoded.refs}).join(wide, on="record_ref", how="left").drop("record_ref")


def match_files(left: Encoded, right: Encoded, *, threshold: float = DEFAULT_THRESHOLD) -> pl.DataFrame:
    """Link two organisations' encodings one-to-one: record_ref_l, record_ref_r, score (Dice)."""
    if left.schema.fingerprint != right.schema.fingerprint:
        raise InputError("the two files were encoded with different schemas; encode both with the same one")
    blocks_l, blocks_r = _blocks(left), _blocks(right)
    # records agreeing on names alone are not candidates: with common names they are often strangers
    common = sorted(kind for kind in set(blocks_l.columns) & set(blocks_r.columns) if not names_only(kind))
    if not common:
        raise InputError("the two files share no kind of key to block on")
    pairs = link_encoded(left.bits, right.bits, threshold=threshold, blocks_a=blocks_l.select(common),
                         blocks_b=blocks_r.select(common))
    refs_l, refs_r = np.array(left.refs, dtype=object), np.array(right.refs, dtype=object)
    return pl.DataFrame(
        {
            "record_ref_l": refs_l[pairs["left"].to_numpy()].tolist(),
            "record_ref_r": refs_r[pairs["right"].to_numpy()].tolist(),
            "score": pairs["score"],
        },
        schema={"record_ref_l": pl.Utf8, "record_ref_r": pl.Utf8, "score": pl.Float64},
    )


def share_encodings(store: Store, org: str, encoded: Encoded) -> int:
    """Keep ``org``'s encodings for encoded hit/no-hit, replacing what it shared before; returns records kept."""
    holder = get_organisation(store, org)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(delete(shared_encoding).where(shared_encoding.c.org_id == holder.id))
        conn.execute(delete(identity_key).where(identity_key.c.org_id == holder.id, identity_key.c.mode == _MODE))
        if encoded.refs:
            conn.execute(
                insert(shared_encoding),
                [
                    {"org_id": holder.id, "record_ref": ref, "fingerprint": encoded.schema.fingerprint,
                     "bits": row.tobytes(), "shared_at": now}
                    for ref, row in zip(encoded.refs, encoded.bits, strict=True)
                ],
            )
        if encoded.keys.height:
            conn.execute(
                insert(identity_key),
                [
                    {"org_id": holder.id, "mode": _MODE, "record_ref": ref, "kind": kind, "digest": digest}
                    for ref, kind, digest in encoded.keys.select("record_ref", "kind", "digest").iter_rows()
                ],
            )
    return len(encoded.refs)


def ask_encoded(
    store: Store, *, org: str, asked_by: str, purpose: str, kind: str, query: Encoded,
    threshold: float = DEFAULT_THRESHOLD,
) -> HitAnswer:
    """Encoded hit/no-hit: ``query`` holds one record encoded by the asker with the shared secret.

    An identifier query matches digests of that kind; a person query finds candidates by person-key
    digests and keeps those whose Dice similarity reaches ``threshold``.
    """
    check_query(kind, purpose)
    if len(query.refs) != 1:
        raise InputError(f"an encoded query holds exactly one record, not {len(query.refs)}")
    asking = get_organisation(store, org)
    wanted = keys_of_kind(query.keys, kind).filter(~pl.col("kind").map_elements(names_only, return_dtype=pl.Boolean))
    if wanted.is_empty():
        raise InputError(f"the encoded query holds no {kind} key to look up", column=kind)
    with store.engine.connect() as conn:
        candidates = find_candidates(conn, _MODE, wanted, asking.id).unique(["org_id", "record_ref"]).drop("kind")
        if kind == "person" and candidates.height:
            stored = conn.execute(
                select(shared_encoding.c.org_id, shared_encoding.c.record_ref, shared_encoding.c.bits).where(
                    shared_encoding.c.fingerprint == query.schema.fingerprint,
                    shared_encoding.c.org_id.in_(candidates["org_id"].unique().to_list()),
                    shared_encoding.c.record_ref.in_(candidates["record_ref"].unique().to_list()),
                )
            ).all()
    if kind == "person" and candidates.height:
        if not stored:
            matches = candidates.clear().with_columns(pl.lit(0.0).alias("score"))
        else:
            bits = np.frombuffer(b"".join(bytes(row[2]) for row in stored), dtype=np.uint8).reshape(len(stored), -1)
            scores = dice_pairs(query.bits, bits, np.zeros(len(stored), np.int64), np.arange(len(stored)))
            matches = pl.DataFrame(
                {"org_id": [row[0] for row in stored], "record_ref": [row[1] for row in stored], "score": scores},
                schema={"org_id": pl.Int64, "record_ref": pl.Utf8, "score": pl.Float64},
            ).filter(pl.col("score") >= threshold)
    else:
        matches = candidates.with_columns(pl.lit(1.0).alias("score"))
    return record_query(store, asking.id, asked_by, purpose, kind, _MODE, matches)
