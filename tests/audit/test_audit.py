"""The audit log on both backends: a hash chain that reveals edited, reordered and deleted entries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import polars as pl
import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from palermo import audit, cli
from palermo.cli_audit import audit_app
from palermo.errors import InputError
from palermo.link.hits import decide, inbox, record_query
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import audit_log

CONTENT = ("at", "actor", "org_id", "action", "purpose", "records", "details", "prev_hash", "hash")


def _chain(store: Store, n: int = 5) -> list[int]:
    org_id = add_organisation(store, "Auditor Org", "NGO", "TH").id
    return [
        audit.append(store, actor=f"user{i}", org_id=org_id if i % 2 else None, action="cases.read",
                     purpose=f"case review {i}", records=[str(i), str(i + 1)], details={"n": i, "x": 0.1})
        for i in range(n)
    ]


def test_chain_verifies_and_lists(store: Store) -> None:
    assert audit.verify(store) == audit.AuditReport(True, 0)
    ids = _chain(store)
    assert audit.verify(store) == audit.AuditReport(True, 5)
    with store.engine.connect() as conn:
        first = conn.execute(select(audit_log.c.prev_hash).where(audit_log.c.id == ids[0])).scalar_one()
    assert first == audit.GENESIS
    listed = audit.entries(store, limit=3)
    assert [e.id for e in listed] == ids[::-1][:3]
    assert listed[0].purpose == "case review 4" and listed[0].records == ["4", "5"]
    assert listed[0].details == {"n": 4, "x": 0.1}
    assert {e.actor for e in audit.entries(store, org="Auditor Org")} == {"user1", "user3"}


def test_edit_is_detected(store: Store) -> None:
    ids = _chain(store)
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == ids[2]).values(purpose="nothing to see"))
    assert audit.verify(store) == audit.AuditReport(False, 3, ids[2], "edited")


def test_deletion_is_detected(store: Store) -> None:
    ids = _chain(store)
    with store.engine.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == ids[2]))
    assert audit.verify(store) == audit.AuditReport(False, 3, ids[3], "reordered or deleted")


def test_reordering_is_detected(store: Store) -> None:
    ids = _chain(store)
    with store.engine.begin() as conn:
        rows = {r.id: r for r in conn.execute(select(audit_log).where(audit_log.c.id.in_(ids[1:3])))}
        for target, source in ((ids[1], ids[2]), (ids[2], ids[1])):
            values = {c: getattr(rows[source], c) for c in CONTENT}
            conn.execute(update(audit_log).where(audit_log.c.id == target).values(**values))
    assert audit.verify(store) == audit.AuditReport(False, 2, ids[1], "reordered or deleted")


def test_failed_action_leaves_no_entry(store: Store) -> None:
    with pytest.raises(RuntimeError), audit.transaction(store) as conn:
        audit.append(conn, actor="a", org_id=None, action="cases.read", purpose="p", records=[], details={})
        raise RuntimeError
    assert audit.entries(store) == [] and audit.verify(store).ok


def test_hit_ask_and_decide_are_logged(store: Store) -> None:
    asker = add_organisation(store, "Asker", "NGO", "TH")
    holder = add_organisation(store, "Holder", "NGO", "TH")
    matches = pl.DataFrame({"org_id": [holder.id], "record_ref": ["42"], "score": [0.97]})
    answer = record_query(store, asker.id, "alice", "victim identification", "phone", "plaintext", matches)
    notice = inbox(store, "Holder")[0]
    decide(store, notice.id, org="Holder", decided_by="bob", disclose=True, note="call us")
    decided, asked = audit.entries(store)
    assert (asked.action, asked.actor, asked.org, asked.purpose) == ("hit.ask", "alice", "Asker",
                                                                     "victim identification")
    assert asked.records == [f"{holder.id}:42"] and asked.details["query_id"] == answer.query_id
    assert (decided.action, decided.actor, decided.org) == ("hit.decide", "bob", "Holder")
    assert decided.records == [f"{holder.id}:42"] and decided.details["decision"] == "disclosed"
    assert decided.purpose.startswith(f"answer hit query {answer.query_id}")
    assert audit.verify(store) == audit.AuditReport(True, 2)


def test_concurrent_appends_keep_one_chain(store: Store) -> None:
    def one(i: int) -> int:
        return audit.append(store, actor=f"t{i}", org_id=None, action="cases.read", purpose="load test",
                            records=[str(i)], details={})

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(one, range(8)))
    assert len(set(ids)) == 8
    assert audit.verify(store) == audit.AuditReport(True, 8)
    with store.engine.connect() as conn:
        prevs = conn.execute(select(audit_log.c.prev_hash)).scalars().all()
    assert len(set(prevs)) == 8


def test_cli_verify_and_log(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.state, "db", store.url)
    runner = CliRunner()
    ids = _chain(store, 3)
    good = runner.invoke(audit_app, ["verify"])
    assert good.exit_code == 0 and "3 entries" in good.output
    listed = runner.invoke(audit_app, ["log", "--limit", "2", "--org", "Auditor Org"])
    assert listed.exit_code == 0 and "1 audit entries" in listed.output and "user1" in listed.output
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == ids[1]).values(actor="mallory"))
    bad = runner.invoke(audit_app, ["verify"])
    assert bad.exit_code == 1


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)  # SQLite has one writer at a time
def test_an_entry_committed_late_is_sealed_after_the_others(store: Store) -> None:
    with store.engine.connect() as slow:
        early = audit.append(slow, actor="slow", org_id=None, action="cases.read", purpose="p", records=["1"])
        fast = audit.append(store, actor="fast", org_id=None, action="cases.read", purpose="p", records=["2"])
        slow.commit()
    assert early < fast
    assert audit.verify(store) == audit.AuditReport(True, 2)
    with store.engine.connect() as conn:
        order = conn.execute(select(audit_log.c.id).order_by(audit_log.c.seq)).scalars().all()
    assert order == [fast, early]


def test_unsealing_an_entry_to_move_it_is_detected(store: Store) -> None:
    ids = _chain(store)
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == ids[1]).values(seq=None, prev_hash=None, hash=None))
    report = audit.verify(store)  # the entry is sealed again at the end; its old place is a gap
    assert not report.ok and report.first_bad == ids[2] and report.reason == "reordered or deleted"


def test_entries_are_filtered_and_paged(store: Store) -> None:
    org_id = add_organisation(store, "Filter Org", "NGO", "TH").id
    made = {name: audit.append(store, actor=actor, org_id=org_id, action=name, purpose="p")
            for name, actor in (("admin.user.create", "root"), ("admin.token.issue", "root"),
                                ("cases.read", "ana"), ("administer_x", "root"), ("admin_y", "root"))}
    with store.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == made["cases.read"])
                     .values(at=datetime(2020, 5, 1, 12, tzinfo=UTC)))

    def ids(**filters: object) -> list[int]:
        return [e.id for e in audit.entries(store, org="Filter Org", **filters)]  # type: ignore[arg-type]

    assert ids(action="admin") == [made["admin.token.issue"], made["admin.user.create"]]  # not administer_x, admin_y
    assert ids(action="admin.token") == [made["admin.token.issue"]]
    assert ids(actor="ana") == [made["cases.read"]]
    assert ids(since=datetime(2020, 5, 1, tzinfo=UTC), until=datetime(2020, 5, 2, tzinfo=UTC)) == [made["cases.read"]]
    assert made["cases.read"] not in ids(since=datetime(2020, 5, 2, tzinfo=UTC))
    everything = ids()
    assert ids(before=everything[1], limit=2) == everything[2:4]
    with pytest.raises(InputError, match="end of the period"):
        audit.entries(store, since=datetime(2020, 5, 2, tzinfo=UTC), until=datetime(2020, 5, 1, tzinfo=UTC))
