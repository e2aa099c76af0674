"""Property-based checks of the whole API against its own OpenAPI document (schemathesis, in-process).

Every operation of ``/openapi.json`` is called with data generated from its schema, valid and then
invalid, on a store holding a few organisations, their cases and an agreement. Each example is sent
as a user of one of the four roles, drawn with the data, so every operation is tried by every role
within the time a run can take (some 1,000 requests a backend at ~40 ms each). No answer may be a
server error, and each must have a documented status code, content type, headers and body schema.

Each example gets a fresh token: an example may sign out, or an admin may revoke token 1, which must
not leave the following examples unauthenticated. Sign-ins and bearer tokens are not throttled here,
or the generated sign-ins would turn every later answer into a 429.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.support import cases_csv

from palermo import audit
from palermo.ingest.pipeline import ingest_file
from palermo.server.app import create_app
from palermo.server.identity import create_user, issue_token
from palermo.server.ratelimit import AuthThrottle, Rule
from palermo.store.agreements import grant
from palermo.store.db import Store
from palermo.store.orgs import add_organisation

ROLES = ("contributor", "analyst", "auditor", "admin")
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
FEWER = {"GET /api/report": 4, "GET /api/alerts": 6}
"""Operations taking ~0.5-2 s a call (a report is rendered, the linkage results are read): fewer examples."""
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""Not ``negative_data_rejection``: FastAPI ignores unknown query parameters and form text is untyped, by design."""
LAX = Rule("lax", 10**6, 1)


@pytest.fixture
def world(store: Store, tmp_path: Path) -> Store:
    """Three organisations with cases, an agreement between two, a user of each role in the first."""
    for name, rows in (("Hope", 12), ("Police", 15), ("Ministry", 6)):
        add_organisation(store, name, "NGO", "TH")
        ingest_file(store, cases_csv(tmp_path / f"{name}.csv", rows, name=name), name)
    grant(store, "Police", "Hope", "cases", "pseudonymised", by="p")
    for role in ROLES:
        create_user(store, f"hope-{role}", "Hope", role, "a long enough password")
    return store


@pytest.fixture
def schema(world: Store) -> Iterator[schemathesis.BaseSchema]:
    """The app's own OpenAPI document, bound to the app (requests go to it in-process)."""
    app = create_app(world, throttle=AuthThrottle(signin_per_user=LAX, signin_per_address=LAX, token_per_address=LAX))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    finally:
        asgi.shutdown_lifespans()  # this app's upload workers stop; the store is the fixture's


def _operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation[Any, Any, Any, Any]]:
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document is invalid: {result}"
        operations.append(result.ok())
    return operations


def _failures(store: Store, schema: schemathesis.BaseSchema, mode: GenerationMode) -> list[str]:
    found: list[str] = []
    for operation in _operations(schema):

        @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(ROLES))
        @settings(
            max_examples=FEWER.get(operation.label, EXAMPLES[mode]), deadline=None, database=None,
            derandomize=True, phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case[Any], role: str) -> None:
            headers = {"Authorization": f"Bearer {issue_token(store, f'hope-{role}').token}"}
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid: no parameters, no body
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; failures are reported together
            found.append(f"{operation.label} ({mode.value}): {exc}")
    return found


@pytest.mark.slow
def test_api_conforms_to_its_schema(world: Store, schema: schemathesis.BaseSchema) -> None:
    operations = [operation.label for operation in _operations(schema)]
    assert len(operations) >= 25 and "POST /api/uploads" in operations
    failures = [failure for mode in GenerationMode for failure in _failures(world, schema, mode)]
    assert not failures, "\n\n".join(failures)
    assert audit.verify(world).ok


def test_regressions_found_by_schemathesis(world: Store) -> None:
    """A NUL in a purpose was a server error on PostgreSQL; organisations' created_at had no offset on SQLite."""
    token = issue_token(world, "hope-analyst").token
    admin = issue_token(world, "hope-admin").token
    with TestClient(create_app(world)) as client:
        for path in ("/api/cases", "/api/exports/cases.csv", "/api/alerts"):
            response = client.get(path, headers={"Authorization": f"Bearer {token}"}, params={"purpose": "a\x00b"})
            assert response.status_code == 422 and response.json()["error"]["code"] == "bad_input", path
        hit = client.post("/api/hits", headers={"Authorization": f"Bearer {token}"},
                          json={"kind": "person", "purpose": "p", "query": {"given\x00": "x"}})
        assert hit.status_code == 422
        orgs = client.get("/api/admin/organisations", headers={"Authorization": f"Bearer {admin}"})
        assert orgs.status_code == 200
        assert all(org["created_at"].endswith(("Z", "+00:00")) for org in orgs.json())
    assert [e.purpose for e in audit.entries(world) if "\x00" in e.purpose] == []
