"""Users and API tokens on both backends: Argon2 hashes, tokens stored only as SHA-256, expiry, revocation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from palermo import cli
from palermo.cli_server import admin_app
from palermo.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from palermo.server.identity import (
    authenticate_token,
    create_user,
    issue_token,
    revoke_token,
    verify_password,
)
from palermo.store.db import Store
from palermo.store.schema import api_token, app_user

PASSWORD = "correct horse battery"


def test_passwords_are_argon2_hashed_and_verified(store: Store, org: str) -> None:
    user = create_user(store, "  alice ", org, "analyst", PASSWORD)
    assert (user.name, user.organisation, user.role) == ("alice", org, "analyst")
    with store.engine.connect() as conn:
        stored = conn.execute(select(app_user.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(store, "alice", PASSWORD).id == user.id
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        verify_password(store, "alice", PASSWORD + "!")
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        verify_password(store, "mallory", PASSWORD)
    with pytest.raises(ConflictError):
        create_user(store, "alice", org, "analyst", PASSWORD)
    with pytest.raises(InputError, match="unknown role"):
        create_user(store, "bob", org, "superuser", PASSWORD)
    with pytest.raises(InputError, match="at least 12"):
        create_user(store, "bob", org, "analyst", "short")
    with pytest.raises(NotFoundError):
        create_user(store, "bob", "Nobody", "analyst", PASSWORD)


def test_tokens_stored_as_digests_expire_and_revoke(store: Store, org: str) -> None:
    create_user(store, "alice", org, "auditor", PASSWORD)
    issued = issue_token(store, "alice", days=30)
    secret = issued.token.split(".", 1)[1]
    with store.engine.connect() as conn:
        digest = conn.execute(select(api_token.c.secret_sha256)).scalar_one()
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    caller = authenticate_token(store, issued.token)
    assert (caller.name, caller.organisation, caller.role, caller.token_id) == ("alice", org, "auditor", issued.id)
    for bad in ("", "plm_", "nonsense", f"plm_{issued.id}.{secret[:-1]}x", f"plm_{issued.id + 1}.{secret}"):
        with pytest.raises(AuthenticationError, match="not valid"):
            authenticate_token(store, bad)
    with pytest.raises(AuthenticationError, match="expired"):
        authenticate_token(store, issued.token, now=datetime.now(UTC) + timedelta(days=31))
    with pytest.raises(InputError):
        issue_token(store, "alice", days=0)
    revoke_token(store, issued.id)
    revoke_token(store, issued.id)
    with pytest.raises(AuthenticationError, match="revoked"):
        authenticate_token(store, issued.token)
    with pytest.raises(NotFoundError):
        revoke_token(store, issued.id + 1)


def test_admin_commands(store: Store, org: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli.state, "db", store.url)
    runner = CliRunner()
    secret_file = tmp_path / "pw.txt"
    secret_file.write_text(PASSWORD + "\n", encoding="utf-8")
    added = runner.invoke(admin_app, ["add-user", "alice", "--org", org, "--role", "analyst",
                                      "--password-file", str(secret_file)])
    assert added.exit_code == 0, added.output
    verify_password(store, "alice", PASSWORD)
    prompted = runner.invoke(admin_app, ["add-user", "bob", "--org", org, "--role", "admin"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    verify_password(store, "bob", PASSWORD)
    issued = runner.invoke(admin_app, ["issue-token", "alice", "--days", "7"])
    assert issued.exit_code == 0, issued.output
    token = issued.output.strip().splitlines()[-1]
    caller = authenticate_token(store, token)
    assert runner.invoke(admin_app, ["revoke-token", str(caller.token_id)]).exit_code == 0
    with pytest.raises(AuthenticationError):
        authenticate_token(store, token)
