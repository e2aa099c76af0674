"""The network around one linked person, as far as the viewer's agreements allow."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from palermo import audit
from palermo.access.network import entity_network
from palermo.errors import NotFoundError
from palermo.ingest.pipeline import ingest_file
from palermo.link.entities import linked_records, network_records
from palermo.link.run import run_linkage
from palermo.store.agreements import grant
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

HOPE, POLICE = "Hope Shelter", "Border Police"
HEADER = "prs_FirstName,prs_SecondName,prs_Birthdate,prs_MobilePhone,prs_Gender,prs_Citizenship\n"
GIVEN = ["Maria", "Lan", "Anna", "Somchai", "Mai", "Joy", "Nita", "Rosa", "Kim", "Ana"]
FAMILY = ["Santos", "Nguyen", "Dee", "Reyes", "Tran", "Cruz", "Bui"]
RECRUITER_PHONE = "+66812345000"
"""Maria Santos's phone (held by both organisations), also given by two persons only Hope holds."""


def people(second: bool) -> str:
    """30 persons both hold (the second has other phones on odd rows); the first also two sharing a phone."""
    rows = []
    for i in range(30):
        given, family = GIVEN[i % 10], FAMILY[i % 7]
        phone = f"+669{12345000 + i:08d}" if second and i % 2 else f"+668{12345000 + i:08d}"
        sex = "Male" if given == "Somchai" else "Female"
        rows.append(f"{given},{family},{1980 + i % 20}-0{1 + i % 9}-1{i % 9},{phone},{sex},PH")
    if not second:
        rows += [f"Dara,Sok,1990-05-05,{RECRUITER_PHONE},Female,KH",
                 f"Nok,Chanthavong,1992-07-27,{RECRUITER_PHONE},Female,LA"]
    return HEADER + "\n".join(rows) + "\n"


def ingest_people(store: Store, folder: Path) -> None:
    """Both organisations' person files (:func:`people`) ingested; the organisations must exist."""
    for org, second in ((HOPE, False), (POLICE, True)):
        path = folder / f"people-{'police' if second else 'hope'}.csv"
        path.write_text(people(second), encoding="utf-8")
        ingest_file(store, path, org)


def maria(store: Store) -> str:
    """The entity id of Maria Santos, whom both organisations hold."""
    records = network_records(store).filter(pl.col("phone") == RECRUITER_PHONE)
    shared = records.group_by("entity_id").agg(pl.col("org").n_unique().alias("orgs")).filter(pl.col("orgs") == 2)
    assert shared.height == 1
    return str(shared["entity_id"][0])


@pytest.fixture
def linked(store: Store, tmp_path: Path) -> str:
    for org in (HOPE, POLICE):
        add_organisation(store, org, "NGO", "TH")
    ingest_people(store, tmp_path)
    run_linkage(store, started_by="t")
    return maria(store)


def _kinds(store: Store, org: str, entity: str) -> dict[str, dict[str, str]]:
    found = entity_network(store, org, entity, actor="ana", purpose="case 7 review")
    return {node: {"kind": str(d["kind"]), "orgs": str(d["orgs"])} for node, d in found.graph.nodes(data=True)}


def test_own_records_only_without_agreements(store: Store, linked: str) -> None:
    found = entity_network(store, HOPE, linked, actor="ana", purpose="case 7 review")
    assert found.holders == [HOPE] and found.unnamed_holders == 0 and found.radius == 2
    kinds = [str(d["kind"]) for _, d in found.graph.nodes(data=True)]
    assert kinds.count("person") == 3 and kinds.count("phone") == 1 and kinds.count("case") == 1
    assert all(POLICE not in str(d["orgs"]) for _, d in found.graph.nodes(data=True))
    entry = audit.entries(store, org=HOPE, limit=1)[0]
    assert (entry.action, entry.actor, entry.purpose) == ("linkage.network", "ana", "case 7 review")
    assert len(entry.records) == 3 and entry.details["entity"] == linked


def test_other_holders_show_as_far_as_they_granted(store: Store, linked: str) -> None:
    grant(store, POLICE, HOPE, "linkage", "aggregate", by="p")
    found = entity_network(store, HOPE, linked, actor="ana", purpose="review")
    assert found.holders == [HOPE] and found.unnamed_holders == 1
    grant(store, POLICE, HOPE, "linkage", "pseudonymised", by="p")
    nodes = _kinds(store, HOPE, linked)
    assert nodes[f"person:{linked}"]["orgs"] == f"{POLICE}; {HOPE}"
    assert nodes[f"phone:{RECRUITER_PHONE}"]["orgs"] == HOPE  # Police's phones need identities in full
    assert not any(n.startswith(f"case:{POLICE}") for n in nodes)  # its case references need full linkage
    grant(store, POLICE, HOPE, "linkage", "full", by="p")
    grant(store, POLICE, HOPE, "identities", "full", by="p")
    nodes = _kinds(store, HOPE, linked)
    assert nodes[f"phone:{RECRUITER_PHONE}"]["orgs"] == f"{POLICE}; {HOPE}"
    assert any(n.startswith(f"case:{POLICE}") for n in nodes)


def test_only_holders_of_the_person_see_its_network(store: Store, linked: str) -> None:
    dara = linked_records(store).group_by("entity_id").agg(pl.col("org").n_unique().alias("n")).filter(
        pl.col("n") == 1
    )["entity_id"].to_list()
    police_held = set(linked_records(store).filter(pl.col("org") == POLICE)["entity_id"].to_list())
    only_hope = sorted(set(dara) - police_held)
    with pytest.raises(NotFoundError, match="among your organisation's records"):
        entity_network(store, POLICE, only_hope[0], actor="p", purpose="review")
    with pytest.raises(NotFoundError):
        entity_network(store, HOPE, "E9999999", actor="ana", purpose="review")
