"""Hostile input fails harmlessly: SQL injection, wildcards, NUL bytes, huge and invisible text, path traversal.

Each text a query parameter or JSON field takes (holders, purposes, hit/no-hit query values, agreement
parties, admin user and organisation names, sign-in names, upload purposes and file names) and each
path parameter is sent hostile values against the real store, on every backend. Each answer must be
a 2xx (where the value is just text, e.g. a purpose) or a 4xx with the API's one error shape, never a
server error, always JSON (or the CSV export), and an error message never repeats the hostile value.
Afterwards every table is still there, the cases are the same and the audit chain verifies.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from tests.support import HEADER, cases_csv

from palermo import audit
from palermo.ingest.pipeline import ingest_file
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.server.jobs import FINISHED
from palermo.server.ratelimit import AuthThrottle, Rule
from palermo.store.agreements import grant
from palermo.store.db import Store
from palermo.store.orgs import add_organisation
from palermo.store.schema import case_record

HOSTILE = [
    "' OR 1=1 --",
    "Robert'); DROP TABLE case_record;--",
    "%",
    "_",
    "%' OR '%'='",
    "a\x00b",
    "\x00",
    "x" * 5000,
    "\u202etxt.exe\u200b\u200d\ufeff",
    "<script>alert(1)</script>",
]
"""Hostile text: SQL injection, LIKE wildcards, NUL bytes, a very long string, RTL and zero-width marks, HTML."""
ECHO_CHECKED = [h for h in HOSTILE if len(h) > 3]
"""Values long enough that finding one in a page means it was echoed."""
HOSTILE_IDS = ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f", "1;DROP", "1 OR 1=1", "-1", "0",
               "9223372036854775808", "99999999999999999999999999999999", "1e3", "0x10", "\x00"]
"""Hostile path parameters: traversal (plain and encoded), SQL, negative, zero, past 64 bits, not integers."""
PASSWORD = "a long enough password"
USERS = {"hope-analyst": "analyst", "hope-contrib": "contributor", "hope-admin": "admin"}
TEXT_OK = {200, 201, 202, 204}
REFUSED = {400, 401, 403, 404, 409, 413, 422, 429}


@dataclass
class Api:
    """A client of the app over the world, with a token of each user."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    store: Store


@pytest.fixture
def api(store: Store, tmp_path: Path) -> Iterator[Api]:
    for name, rows in (("Hope", 8), ("Police", 6)):
        add_organisation(store, name, "NGO", "TH")
        ingest_file(store, cases_csv(tmp_path / f"{name}.csv", rows, name=name), name)
    grant(store, "Police", "Hope", "cases", "full", by="p")
    headers = {}
    for user, role in USERS.items():
        create_user(store, user, "Hope", role, PASSWORD)
        headers[user] = {"Authorization": f"Bearer {issue_token(store, user).token}"}
    lax = Rule("lax", 10**6, 1)  # every hostile sign-in reaches the password check instead of a 429
    with TestClient(create_app(store, throttle=AuthThrottle(signin_per_user=lax, signin_per_address=lax))) as client:
        yield Api(client, headers, store)


def _tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def _cases(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(case_record)).scalar_one())


def _harmless(response: httpx.Response, where: str, *, text_ok: bool) -> None:
    """A documented refusal in the one error shape, or (where the value is just text) a success.

    An error message may name the value it refuses (an unknown organisation, say), but only inside JSON,
    never in an HTML page: a path the client resolved out of ``/api`` (``../..``) may get the web 404 page,
    which must not carry any hostile value.
    """
    status = response.status_code
    allowed = REFUSED | (TEXT_OK if text_ok else set())
    assert status in allowed, f"{where}: {status} {response.text[:300]}"
    media = response.headers.get("content-type", "")
    if media.startswith("text/html"):
        assert status == 404 and not response.url.path.startswith("/api/"), f"{where}: {status} {media}"
        for value in ECHO_CHECKED:
            assert value not in response.text, f"{where}: the page shows {value!r}"
        return
    assert media.startswith(("application/json", "text/csv")), f"{where}: {media}"
    if status >= 400:
        body = response.json()
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, f"{where}: {body}"
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)


def _requests(value: str) -> list[tuple[str, str, str, dict[str, Any], bool]]:
    """(user, method, path, request arguments, whether a 2xx is fine) for each place ``value`` can go."""
    why = {"purpose": "review"}
    upload = {"file": ("cases.csv", ",".join(HEADER).encode() + b"\n", "text/csv")}  # no rows: nothing ingested
    return [
        ("hope-analyst", "GET", "/api/cases", {"params": {"purpose": value}}, True),
        ("hope-analyst", "GET", "/api/cases", {"params": {**why, "holder": value}}, False),
        ("hope-contrib", "GET", "/api/cases", {"params": {**why, "holder": value, "identifying": True}}, False),
        ("hope-analyst", "GET", "/api/exports/cases.csv", {"params": {"purpose": value}}, True),
        ("hope-analyst", "GET", "/api/exports/cases.csv", {"params": {**why, "holder": value}}, False),
        ("hope-analyst", "GET", "/api/report", {"params": {**why, "format": "json", "holder": value}}, True),
        ("hope-analyst", "GET", "/api/alerts", {"params": {"purpose": value}}, True),
        ("hope-analyst", "POST", "/api/hits",
         {"json": {"kind": "person", "purpose": value, "query": {"given": "Hope1"}}}, True),
        ("hope-analyst", "POST", "/api/hits",
         {"json": {"kind": "person", "purpose": "check", "query": {"given": value, "family": value}}}, True),
        ("hope-contrib", "POST", "/api/hits",
         {"json": {"kind": "phone", "purpose": "check", "query": {"value": value}}}, True),
        ("hope-contrib", "POST", "/api/hits",
         {"json": {"kind": "email", "purpose": "check", "query": {value: value}}}, True),
        ("hope-analyst", "POST", "/api/agreements",
         {"json": {"grantee": value, "category": "cases", "level": "aggregate"}}, False),
        ("hope-analyst", "POST", "/api/agreements",
         {"json": {"grantee": "Police", "category": "cases", "level": "aggregate", "purpose": value}}, True),
        ("hope-admin", "POST", "/api/agreements",
         {"json": {"grantor": value, "grantee": "Hope", "category": "cases", "level": "full"}}, False),
        ("hope-admin", "POST", "/api/admin/organisations", {"json": {"name": value, "type": "NGO", "country": "TH"}},
         True),
        ("hope-admin", "POST", "/api/admin/organisations", {"json": {"name": "Org", "type": value, "country": "TH"}},
         False),
        ("hope-admin", "POST", "/api/admin/organisations",
         {"json": {"name": "Org2", "type": "NGO", "country": value}}, False),
        ("hope-admin", "POST", "/api/admin/users",
         {"json": {"name": value, "organisation": "Hope", "role": "analyst", "password": PASSWORD}}, True),
        ("hope-admin", "POST", "/api/admin/users",
         {"json": {"name": "someone", "organisation": value, "role": "analyst", "password": PASSWORD}},
         True),  # the organisation of that name was registered just above
        ("hope-admin", "POST", "/api/admin/users",
         {"json": {"name": "someone2", "organisation": "Hope", "role": "analyst", "password": value * 12}}, True),
        ("", "POST", "/api/session", {"json": {"user": value, "password": value}}, False),
        ("", "POST", "/api/session", {"json": {"user": "hope-analyst", "password": value}}, False),
        ("hope-contrib", "POST", "/api/uploads", {"files": upload, "data": {"purpose": value}}, True),
        ("hope-contrib", "POST", "/api/uploads",
         {"files": {"file": (value, upload["file"][1], "text/csv")}, "data": why}, True),
    ]


def _settle(api: Api) -> None:
    """Wait for the upload jobs to finish (they run on the app's worker threads)."""
    deadline = time.monotonic() + 60
    while True:
        jobs = api.client.get("/api/uploads", headers=api.headers["hope-contrib"]).json()
        if all(job["status"] in FINISHED for job in jobs):
            return
        assert time.monotonic() < deadline, jobs
        time.sleep(0.05)


def test_hostile_text_fails_harmlessly(api: Api) -> None:
    tables, cases = _tables(api.store), _cases(api.store)
    for value in HOSTILE:
        for user, method, path, arguments, text_ok in _requests(value):
            headers = api.headers.get(user, {})
            response = api.client.request(method, path, headers=headers, **arguments)
            where = f"{method} {path} {arguments} as {user or 'anyone'}"
            _harmless(response, where, text_ok=text_ok)
            if path == "/api/report" and response.status_code == 200:  # an unknown holder: nothing, not everything
                assert json.loads(response.content)["cases_in_scope"] == 0, where
            if path == "/api/cases" and response.status_code == 200:  # only a purpose: one's own 8 and Police's 6
                assert len(response.json()["cases"]) == 14, where
    _settle(api)
    assert _tables(api.store) == tables
    assert _cases(api.store) == cases
    assert audit.verify(api.store).ok
    for user in USERS:  # the world still answers, and the tokens still work
        assert api.client.get("/api/me", headers=api.headers[user]).status_code == 200


def test_hostile_path_parameters_are_refused(api: Api) -> None:
    tables, cases = _tables(api.store), _cases(api.store)
    admin, analyst = api.headers["hope-admin"], api.headers["hope-analyst"]
    templates: list[tuple[dict[str, str], str, str, dict[str, Any]]] = [
        (analyst, "POST", "/api/notices/{}/decision", {"json": {"disclose": True}}),
        (analyst, "DELETE", "/api/agreements/{}", {}),
        (analyst, "GET", "/api/uploads/{}", {}),
        (admin, "DELETE", "/api/admin/tokens/{}", {}),
        (admin, "POST", "/api/admin/users/{}/tokens", {"json": {"days": 1}}),
    ]
    for value in HOSTILE_IDS + HOSTILE:
        for raw in (value, quote(value, safe="")) if value.isprintable() else (quote(value, safe=""),):
            for headers, method, template, arguments in templates:
                path = template.format(raw)
                response = api.client.request(method, path, headers=headers, **arguments)
                assert 400 <= response.status_code < 500, f"{method} {path}: {response.status_code} {response.text}"
                _harmless(response, f"{method} {path}", text_ok=False)
    assert _tables(api.store) == tables
    assert _cases(api.store) == cases
    assert audit.verify(api.store).ok
    assert api.client.get("/api/me", headers=admin).status_code == 200  # no hostile id revoked a real token


def test_hostile_organisation_name_is_escaped_in_the_html_report(api: Api, tmp_path: Path) -> None:
    name = "<script>alert(1)</script>"
    created = api.client.post("/api/admin/organisations", headers=api.headers["hope-admin"],
                              json={"name": name, "type": "NGO", "country": "TH"})
    assert created.status_code == 201 and created.json()["name"] == name  # JSON: the name as given
    ingest_file(api.store, cases_csv(tmp_path / "evil.csv", 12, name="Evil"), name)
    grant(api.store, name, "Hope", "cases", "aggregate", by="e")
    report = api.client.get("/api/report", headers=api.headers["hope-analyst"], params={"purpose": "review"})
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in report.text
    assert audit.verify(api.store).ok


def test_formulas_in_uploaded_cells_are_escaped_in_the_export(api: Api) -> None:
    formulas = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows([["2019", "Feminine", "TH", "18--20", "Adult", "ForcedLabour", f, "2000-01-02"] for f in formulas])
    contrib = api.headers["hope-contrib"]
    response = api.client.post("/api/uploads", headers=contrib, data={"purpose": "formulas"},
                               files={"file": ("=HYPERLINK(\"x\").csv", out.getvalue().encode(), "text/csv")})
    assert response.status_code == 202, response.text
    _settle(api)
    job = api.client.get(response.json()["links"]["self"], headers=contrib).json()
    assert job["status"] == "stored", job
    export = api.client.get("/api/exports/cases.csv", headers=api.headers["hope-analyst"],
                            params={"purpose": "review", "identifying": True, "holder": "Hope"})
    assert export.status_code == 200, export.text
    rows = list(csv.DictReader(io.StringIO(export.text)))
    names = {row["prs_first_name"] for row in rows}
    assert len(rows) == 8 + len(formulas)
    for formula in formulas:
        assert formula not in names, f"{formula!r} exported as is"
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")], "a cell starts a formula"
    assert not [cell for cell in cells if cell[:1] == "-" and not cell[1:2].isdigit()]
