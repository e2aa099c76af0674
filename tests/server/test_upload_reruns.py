"""A job's mapping through the API, and its kept file run again with an edited mapping (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.server.test_uploads import PURPOSE, USERS, count, make_app, wait
from tests.support import api_error, bearer

from palermo.server.identity import create_user, issue_token
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import audit_log, case_record, ingest_batch

SHELTER = (
    b"Year,Sex,Nationality,Exploitation,Given name,Date of birth,Notes\n"
    b"2020,F,Thailand,ForcedLabour,Ploy,1999-03-04,first\n"
    b"2021,M,Myanmar,SexualExploitation,Aung,2999-01-01,second\n"
    b"2020,F,Lao PDR,ForcedLabour,Nok,1998-05-06,\n"
)
"""A shelter's own layout, which palermo does not recognise; row 3 has a birth date in the future."""


@pytest.fixture
def keys(store: Store) -> dict[str, str]:
    """API tokens of the users of ``tests.server.test_uploads``."""
    for org, kind in (("Hope Shelter", "NGO"), ("Border Police", "LawEnforcement")):
        add_organisation(store, org, kind, "TH")
    for name, (org, role) in USERS.items():
        create_user(store, name, org, role, "a long enough password")
    return {name: issue_token(store, name).token for name in USERS}


@pytest.fixture
def api(store: Store) -> Iterator[TestClient]:
    with TestClient(make_app(store)) as opened:
        yield opened


def upload(client: TestClient, token: str, data: bytes, **form: str) -> dict[str, Any]:
    sent = client.post("/api/uploads", headers=bearer(token), files={"file": ("shelter.csv", data, "text/csv")},
                       data={"purpose": PURPOSE, **form})
    assert sent.status_code == 202, sent.text
    return wait(client, token, sent.json()["id"])


def rerun(client: TestClient, token: str, job_id: int, **body: Any) -> Any:
    return client.post(f"/api/uploads/{job_id}/rerun", headers=bearer(token), json={"purpose": PURPOSE, **body})


def mapping_of(client: TestClient, token: str, job_id: int) -> dict[str, Any]:
    got = client.get(f"/api/uploads/{job_id}/mapping", headers=bearer(token))
    assert got.status_code == 200, got.text
    found: dict[str, Any] = got.json()
    return found


def test_unknown_layout_is_suggested_then_checked_then_stored_once(
    store: Store, api: TestClient, keys: dict[str, str]
) -> None:
    alice = keys["alice"]
    failed = upload(api, alice, SHELTER)
    assert failed["status"] == "failed" and failed["error"]["code"] == "unknown_layout"
    assert "not one palermo knows" in failed["error"]["message"]
    suggested = mapping_of(api, alice, failed["id"])
    assert suggested["source"] == "suggested" and suggested["file_kept"] and suggested["stored_batch"] is None
    fields = {c["column"]: c["field"] for c in suggested["columns"]}
    assert fields["Sex"] == "prs_Gender" and fields["Date of birth"] == "prs_Birthdate"
    assert all(0 < c["confidence"] <= 1 for c in suggested["columns"] if c["field"])

    fields["Notes"] = None  # keep the notes as extra
    sent = rerun(api, alice, failed["id"], mapping=fields, check_only=True)
    assert sent.status_code == 202, sent.text
    checked = wait(api, alice, sent.json()["id"])
    assert checked["status"] == "dry-run" and checked["file_name"] == "shelter.csv"
    assert (checked["report"]["accepted"], checked["report"]["rejected"]) == (2, 1)
    assert {c["column"]: c["field"] for c in checked["report"]["columns"]}["Notes"] is None
    assert checked["report"]["unmapped_columns"] == ["Notes"]
    assert count(store, case_record) == 0  # a check stores nothing

    stored = wait(api, alice, rerun(api, alice, checked["id"]).json()["id"])  # the same mapping, stored
    assert stored["status"] == "stored" and stored["report"]["accepted"] == 2
    assert count(store, case_record) == 2 and count(store, ingest_batch) == 1
    assert mapping_of(api, alice, stored["id"])["stored_batch"] == stored["batch_id"]

    fields["Notes"] = "cco_CaseComment"
    again = wait(api, alice, rerun(api, alice, stored["id"], mapping=fields).json()["id"])
    assert again["status"] == "already-ingested" and again["batch_id"] == stored["batch_id"]
    assert count(store, case_record) == 2 and count(store, ingest_batch) == 1  # never stored twice
    check = wait(api, alice, rerun(api, alice, stored["id"], mapping=fields, check_only=True).json()["id"])
    assert check["status"] == "dry-run" and check["report"]["previous_batch"] == stored["batch_id"]
    assert check["report"]["accepted"] == 2 and check["report"]["unmapped_columns"] == []
    with store.engine.connect() as conn:
        written = select(audit_log.c.details).where(audit_log.c.action == "cases.write").order_by(audit_log.c.id)
        statuses = [d["status"] for d in conn.execute(written).scalars() if "job" in d]
    assert statuses == ["failed", "dry-run", "stored", "already-ingested", "dry-run"]


def test_bad_mappings_are_refused_with_a_clear_message(api: TestClient, keys: dict[str, str]) -> None:
    alice = keys["alice"]
    job = upload(api, alice, SHELTER)["id"]
    twice = rerun(api, alice, job, mapping={"Sex": "prs_Gender", "Nationality": "prs_Gender"})
    assert "prs_Gender is chosen for both column 'Sex' and column 'Nationality'" in api_error(twice, 422, "bad_input")
    unknown = rerun(api, alice, job, mapping={"Sex": "prs_Shoesize"})
    assert "'prs_Shoesize' (chosen for column 'Sex') is not an HTCDS case field" in api_error(unknown, 422, "bad_input")
    absent = rerun(api, alice, job, mapping={"Gender": "prs_Gender"})
    assert "no column 'Gender'" in api_error(absent, 422, "bad_input")
    empty = rerun(api, alice, job, mapping={"Sex": None})
    assert "maps no column" in api_error(empty, 422, "bad_input")
    other = rerun(api, keys["bob"], job, mapping={"Sex": "prs_Gender"})
    api_error(other, 404, "not_found")  # another organisation's job does not exist for them
    auditor = rerun(api, keys["carol"], job, mapping={"Sex": "prs_Gender"})
    api_error(auditor, 403, "forbidden")


def test_a_mapping_can_be_given_with_the_upload(store: Store, api: TestClient, keys: dict[str, str]) -> None:
    mapping = {"Year": "cas_RegistrationYear", "Sex": "prs_Gender", "Nationality": "prs_Citizenship"}
    done = upload(api, keys["alice"], SHELTER, mapping=json.dumps(mapping))
    assert done["status"] == "stored" and done["report"]["accepted"] == 3
    assert done["report"]["unmapped_columns"] == ["Exploitation", "Given name", "Date of birth", "Notes"]
    applied = mapping_of(api, keys["alice"], done["id"])
    assert applied["source"] == "applied" and applied["layout"] == "mapping-edited"
    assert [c["field"] for c in applied["columns"]][:3] == list(mapping.values())
    bad = api.post("/api/uploads", headers=bearer(keys["alice"]), data={"purpose": PURPOSE, "mapping": "[1]"},
                      files={"file": ("shelter.csv", SHELTER, "text/csv")})
    assert "JSON object" in api_error(bad, 422, "bad_input")
