"""A person query scores at most a few candidates: those sharing the most keys with it."""

from __future__ import annotations

import polars as pl
import pytest
from sqlalchemy import insert

from palermo.link import hits
from palermo.link.hits import find_candidates
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import identity_key

KINDS = ("person:name_key+birth_year", "person:birth_date+given_ph1", "person:family_ph+given1")


def _index(store: Store, org_id: int, ref: str, digests: list[str]) -> list[dict[str, object]]:
    return [{"org_id": org_id, "mode": "plaintext", "record_ref": ref, "kind": KINDS[i], "digest": d}
            for i, d in enumerate(digests) if d]


def test_the_candidates_sharing_most_keys_are_kept(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    asker = add_organisation(store, "Asker", "NGO", "TH").id
    holder = add_organisation(store, "Holder", "NGO", "TH").id
    rows = (
        _index(store, holder, "same-person", ["a", "b", "c"])  # shares all three keys
        + _index(store, holder, "namesake-1", ["", "", "c"])  # only the loose name key
        + _index(store, holder, "namesake-2", ["", "", "c"])
        + _index(store, holder, "half", ["a", "", "c"])
        + _index(store, asker, "own-record", ["a", "b", "c"])  # the asker's own: never a candidate
    )
    with store.engine.begin() as conn:
        conn.execute(insert(identity_key), rows)
    query = pl.DataFrame({"kind": list(KINDS), "digest": ["a", "b", "c"]})
    with store.engine.connect() as conn:
        monkeypatch.setattr(hits, "MAX_PERSON_CANDIDATES", 2)
        best = find_candidates(conn, "plaintext", query, asker)
        monkeypatch.setattr(hits, "MAX_PERSON_CANDIDATES", None)
        every = find_candidates(conn, "plaintext", query, asker)
        phone = find_candidates(conn, "plaintext", pl.DataFrame({"kind": ["phone"], "digest": ["c"]}), asker)
    assert best["record_ref"].to_list() == ["same-person", "half"]
    assert set(every["record_ref"]) == {"same-person", "half", "namesake-1", "namesake-2"}
    assert phone.is_empty()  # a digest counts only under its own kind
