"""Administrative changes (organisations, users, API tokens), each written to the audit log.

The API's admin routes, the administration page and ``palermo admin`` all make their changes here, so
each change is audited once, in one shape (``admin.*`` actions with what was done to whom, never a
password or a token's secret). An API or page caller acts as its user and organisation; the command
line acts as the operating-system user, for no organisation (:class:`Operator`). No FastAPI here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import audit
from ..errors import ConflictError
from ..store.db import Store
from ..store.orgs import Organisation, add_organisation, get_organisation
from .identity import (
    IssuedToken,
    Principal,
    User,
    create_user,
    disable_user,
    enable_user,
    issue_token,
    revoke_token,
)

PURPOSE = "administration"
"""The purpose of every administrative entry of the audit log."""


@dataclass(frozen=True)
class Operator:
    """The deployment's operator at the command line: the operating-system user, acting for no organisation."""

    name: str
    organisation: None = None


Actor = Principal | Operator
"""Who makes a change: a signed-in administrator, or the operator."""


def _audit(store: Store, caller: Actor, action: str, details: dict[str, Any]) -> None:
    org_id = None if caller.organisation is None else get_organisation(store, caller.organisation).id
    audit.append(store, actor=caller.name, org_id=org_id, action=action, purpose=PURPOSE, details=details)


def register_organisation(store: Store, caller: Actor, name: str, org_type: str, country: str) -> Organisation:
    """Register an organisation and audit it (API, web pages, command line)."""
    created = add_organisation(store, name, org_type, country)
    _audit(store, caller, "admin.organisation.create",
           {"organisation": created.name, "type": created.type, "country": created.country})
    return created


def register_user(store: Store, caller: Actor, name: str, org: str, role: str, password: str) -> User:
    """Register a user and audit it, never the password (API, web pages, command line)."""
    created = create_user(store, name, org, role, password)
    _audit(store, caller, "admin.user.create",
           {"user": created.name, "organisation": created.organisation, "role": created.role})
    return created


def issue_user_token(store: Store, caller: Actor, name: str, days: int) -> IssuedToken:
    """Issue an API token for user ``name`` and audit it, never the secret (API, web pages, command line)."""
    issued = issue_token(store, name, days=days)
    _audit(store, caller, "admin.token.issue",
           {"user": issued.user, "token_id": issued.id, "expires_at": issued.expires_at.isoformat()})
    return issued


def set_user_disabled(store: Store, caller: Actor, name: str, disabled: bool) -> User:
    """Disable user ``name`` (no sign-in, every token revoked) or enable them again, and audit it.

    Administrators cannot disable themselves (the command line can: ``palermo admin disable-user``).
    """
    if disabled and isinstance(caller, Principal) and " ".join(name.split()) == caller.name:
        raise ConflictError("you cannot disable yourself; ask another administrator")
    changed = disable_user(store, name) if disabled else enable_user(store, name)
    _audit(store, caller, "admin.user.disable" if disabled else "admin.user.enable",
           {"user": changed.name, "organisation": changed.organisation})
    return changed


def revoke_user_token(store: Store, caller: Actor, token_id: int) -> None:
    """Revoke an API token and audit it (API, web pages, command line)."""
    revoke_token(store, token_id)
    _audit(store, caller, "admin.token.revoke", {"token_id": token_id})
