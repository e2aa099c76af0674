"""Sharing agreements and row-level security on a real store.

On PostgreSQL, a deliberately unfiltered query run as a tenant returns only the rows its own
organisation holds and those an active agreement grants: the database enforces what the Python layer
is meant to, so a forgotten filter cannot leak another organisation's cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from tests.support import cases_csv

from palermo import audit
from palermo.errors import InputError, NotFoundError, PermissionDeniedError
from palermo.ingest.pipeline import ingest_file
from palermo.store.agreements import grant, granted_levels, list_agreements, orgs_at_least, revoke
from palermo.store.arrow_read import read_arrow
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record, ingest_batch, person_identity, quarantine, sharing_agreement
from palermo.store.tenancy import tenant_of, tenant_store

ORGS = {"Hope": 3, "Police": 4, "Ministry": 5}


@pytest.fixture
def orgs(store: Store, tmp_path: Path) -> dict[str, int]:
    """Three organisations holding 3, 4 and 5 cases; name -> id."""
    ids = {}
    for name, rows in ORGS.items():
        ids[name] = add_organisation(store, name, "NGO", "TH").id
        ingest_file(store, cases_csv(tmp_path / f"{name}.csv", rows, name=name), name)
    return ids


def _owners(store: Store, table=case_record) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """Rows per organisation that an unfiltered query returns."""
    with store.engine.connect() as conn:
        return {int(o): int(n) for o, n in conn.execute(select(table.c.org_id, func.count()).group_by(table.c.org_id))}


def test_levels_follow_agreements_and_their_period(store: Store, orgs: dict[str, int]) -> None:
    hope, police, ministry = orgs["Hope"], orgs["Police"], orgs["Ministry"]
    assert granted_levels(store, hope, "cases") == {hope: "full"}
    grant(store, "Police", "Hope", "cases", "aggregate", by="pat")
    second = grant(store, "Police", "Hope", "cases", "pseudonymised", by="pat", days=30)
    grant(store, "Ministry", "Hope", "identities", "full", by="min")
    assert granted_levels(store, hope, "cases") == {hope: "full", police: "pseudonymised"}
    assert granted_levels(store, police, "cases") == {police: "full"}
    assert orgs_at_least(store, hope, "identities", "full") == sorted([hope, ministry])
    later = datetime.now(UTC) + timedelta(days=31)
    assert granted_levels(store, hope, "cases", at=later) == {hope: "full", police: "aggregate"}
    revoke(store, second.id, by="pat", org="Police")
    assert granted_levels(store, hope, "cases")[police] == "aggregate"
    actions = [e.action for e in audit.entries(store)]
    assert actions.count("agreement.grant") == 3 and actions.count("agreement.revoke") == 1
    assert audit.verify(store).ok
    assert [a.id for a in list_agreements(store, "Ministry")] == [3]


def test_bad_agreements_are_refused(store: Store, orgs: dict[str, int]) -> None:
    with pytest.raises(InputError, match="category"):
        grant(store, "Police", "Hope", "everything", "full", by="pat")
    with pytest.raises(InputError, match="level"):
        grant(store, "Police", "Hope", "cases", "most", by="pat")
    with pytest.raises(InputError, match="own data"):
        grant(store, "Police", "Police", "cases", "full", by="pat")
    with pytest.raises(InputError, match="days"):
        grant(store, "Police", "Hope", "cases", "full", by="pat", days=0)
    with pytest.raises(NotFoundError):
        grant(store, "Police", "Nobody", "cases", "full", by="pat")
    made = grant(store, "Police", "Hope", "cases", "full", by="pat")
    with pytest.raises(PermissionDeniedError):
        revoke(store, made.id, by="hope-analyst", org="Hope")
    with pytest.raises(NotFoundError):
        revoke(store, made.id, by="min", org="Ministry")
    assert revoke(store, made.id, by="pat", org="Police").revoked_at is not None


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_unfiltered_queries_as_a_tenant_see_only_what_agreements_grant(store: Store, orgs: dict[str, int]) -> None:
    hope, police, ministry = orgs["Hope"], orgs["Police"], orgs["Ministry"]
    everyone = {hope: 3, police: 4, ministry: 5}
    assert _owners(store) == everyone  # the unrestricted (system) store
    as_hope = tenant_store(store, hope)
    assert tenant_of(as_hope) == (hope, "rows")
    for table in (case_record, person_identity, ingest_batch):
        assert set(_owners(as_hope, table)) == {hope}
    grant(store, "Police", "Hope", "cases", "pseudonymised", by="pat")
    grant(store, "Ministry", "Hope", "cases", "aggregate", by="min")
    assert _owners(as_hope) == {hope: 3, police: 4}
    assert set(_owners(as_hope, person_identity)) == {hope}  # cases were granted, identities were not
    assert _owners(tenant_store(store, hope, "aggregate")) == everyone
    frame = read_arrow(as_hope, select(case_record.c.org_id))  # the ADBC path is filtered too
    assert sorted(set(frame.get_column("org_id").to_list())) == sorted([hope, police])
    assert _owners(tenant_store(store, police)) == {police: 4}  # agreements are one-way
    with store.engine.begin() as conn:
        conn.execute(update(sharing_agreement).values(valid_until=datetime.now(UTC) - timedelta(seconds=1),
                                                      valid_from=datetime.now(UTC) - timedelta(days=1)))
    assert _owners(as_hope) == {hope: 3}  # expired
    assert _owners(store) == everyone  # the system store is unchanged after tenant transactions


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_the_tenant_role_without_an_organisation_sees_nothing(store: Store, orgs: dict[str, int]) -> None:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL ROLE palermo_tenant")
        for table in (case_record, person_identity, ingest_batch, quarantine):
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
        with pytest.raises(Exception, match="permission denied"):
            conn.execute(text("DELETE FROM case_record"))
        conn.rollback()
    assert sum(_owners(store).values()) == 12


def test_an_agreement_can_run_until_a_date(store: Store, orgs: dict[str, int]) -> None:
    start = datetime.now(UTC) + timedelta(days=2)
    made = grant(store, "Police", "Hope", "cases", "aggregate", by="pat", valid_from=start,
                 valid_until=start + timedelta(hours=36))
    assert (made.valid_from, made.valid_until) == (start, start + timedelta(hours=36))
    assert not made.active() and made.active(start + timedelta(hours=1))
    assert audit.entries(store, limit=1)[0].details["valid_until"] == (start + timedelta(hours=36)).isoformat()
    with pytest.raises(InputError, match="before it starts"):
        grant(store, "Police", "Hope", "cases", "full", by="pat", valid_from=start, valid_until=start)
    with pytest.raises(InputError, match="at most"):
        grant(store, "Police", "Hope", "cases", "full", by="pat", valid_until=start + timedelta(days=3651))
    assert len(list_agreements(store, "Police")) == 1
