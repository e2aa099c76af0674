"""Users of the shared server and their API tokens.

A user belongs to one organisation and has one role. Passwords are kept only as Argon2id hashes.
An API token is ``plm_<id>.<secret>``: the secret (32 random bytes, URL-safe) is shown once, and
only its SHA-256 is stored; the id finds the row, the digests are compared in constant time.
Signing in with a password issues an ordinary token that expires after ``SESSION_HOURS``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Select, insert, select, update

from ..errors import AuthenticationError, ConflictError, InputError, NotFoundError
from ..store.db import Store
from ..store.orgs import get_organisation
from ..store.schema import api_token, app_user, organisation

Role = Literal["contributor", "analyst", "auditor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
MIN_PASSWORD_CHARS = 12
MAX_TOKEN_DAYS = 3650
SESSION_HOURS = 12
_PREFIX = "plm_"
_hasher = PasswordHasher()
# Verified against when the user is unknown, so that the answer takes as long as for a known user.
_DUMMY_HASH = _hasher.hash("palermo-no-such-user")


class User(BaseModel):
    """A user of the shared server."""

    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    organisation: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None = None
    """When an administrator disabled the user (no sign-in, every token revoked); None while enabled."""


class Principal(User):
    """An authenticated caller: the user and the token it used."""

    token_id: int


class IssuedToken(BaseModel):
    """A new token: ``token`` is the only time the secret is available."""

    model_config = ConfigDict(frozen=True)

    id: int
    user: str
    token: str
    expires_at: datetime


class TokenInfo(BaseModel):
    """An API token as administrators see it: never its secret or its digest."""

    model_config = ConfigDict(frozen=True)

    id: int
    user: str
    organisation: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def _utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes; palermo stores UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _user_query() -> Select[Any]:
    return select(
        app_user.c.id, app_user.c.name, organisation.c.name.label("organisation"), app_user.c.role,
        app_user.c.created_at, app_user.c.disabled_at, app_user.c.password_hash,
    ).select_from(app_user.join(organisation, organisation.c.id == app_user.c.org_id))


def _user_row(conn: Connection, name: str) -> dict[str, object] | None:
    row = conn.execute(_user_query().where(app_user.c.name == " ".join(name.split()))).first()
    return None if row is None else dict(row._mapping)


def _user(row: dict[str, object]) -> User:
    data = {k: v for k, v in row.items() if k != "password_hash"}
    data["created_at"] = _utc(row["created_at"])  # type: ignore[arg-type]
    if row["disabled_at"] is not None:
        data["disabled_at"] = _utc(row["disabled_at"])  # type: ignore[arg-type]
    return User.model_validate(data)


def create_user(store: Store, name: str, org: str, role: str, password: str) -> User:
    """Register user ``name`` of organisation ``org`` with ``role``; only the password's hash is kept."""
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise InputError("a user name must have 1 to 200 characters", column="name")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}", column="role")
    if len(password) < MIN_PASSWORD_CHARS:
        raise InputError(f"the password must have at least {MIN_PASSWORD_CHARS} characters", column="password")
    owner = get_organisation(store, org)
    hashed = _hasher.hash(password)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        if conn.execute(select(app_user.c.id).where(app_user.c.name == name)).first() is not None:
            raise ConflictError(f"a user called {name!r} already exists")
        new_id = conn.execute(
            insert(app_user).returning(app_user.c.id),
            {"name": name, "org_id": owner.id, "role": role, "password_hash": hashed, "created_at": now},
        ).scalar_one()
    return User(id=int(new_id), name=name, organisation=owner.name, role=role, created_at=now)


def get_user(store: Store, name: str) -> User:
    """The user called ``name``."""
    with store.engine.connect() as conn:
        row = _user_row(conn, name)
    if row is None:
        raise NotFoundError(f"no user called {name!r}")
    return _user(row)


def list_users(store: Store, org: str | None = None) -> list[User]:
    """Every user (or ``org``'s), by name (never their password hashes)."""
    query = _user_query().order_by(app_user.c.name)
    if org is not None:
        query = query.where(app_user.c.org_id == get_organisation(store, org).id)
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [_user(dict(row)) for row in rows]


def disable_user(store: Store, name: str) -> User:
    """Disable user ``name`` at once: no sign-in, and every token of theirs (sessions too) revoked.

    The user stays, so that the audit log's entries keep naming someone; :func:`enable_user` undoes it
    (their old tokens stay revoked).
    """
    user = get_user(store, name)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(update(app_user).where(app_user.c.id == user.id, app_user.c.disabled_at.is_(None))
                     .values(disabled_at=now))
        conn.execute(update(api_token).where(api_token.c.user_id == user.id, api_token.c.revoked_at.is_(None))
                     .values(revoked_at=now))
    return get_user(store, name)


def enable_user(store: Store, name: str) -> User:
    """Let a disabled user sign in again (new tokens must be issued)."""
    user = get_user(store, name)
    with store.engine.begin() as conn:
        conn.execute(update(app_user).where(app_user.c.id == user.id).values(disabled_at=None))
    return get_user(store, name)


def verify_password(store: Store, name: str, password: str) -> User:
    """The user, if ``password`` is theirs; otherwise :class:`AuthenticationError` (same for unknown users)."""
    with store.engine.connect() as conn:
        row = _user_row(conn, name)
    stored = str(row["password_hash"]) if row is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        row = None
    if row is None or row["disabled_at"] is not None:  # a disabled user is told no more than a stranger
        raise AuthenticationError("wrong user name or password")
    if _hasher.check_needs_rehash(stored):
        with store.engine.begin() as conn:
            conn.execute(
                update(app_user).where(app_user.c.id == row["id"]).values(password_hash=_hasher.hash(password))
            )
    return _user(row)


def issue_token(store: Store, name: str, *, days: int = 90) -> IssuedToken:
    """A new API token for user ``name``, valid ``days`` days; its secret is returned only here."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InputError(f"a token is valid for 1 to {MAX_TOKEN_DAYS} days", column="days")
    user = get_user(store, name)
    if user.disabled_at is not None:
        raise ConflictError(f"user {user.name!r} is disabled; enable them first")
    return _insert_token(store, user, timedelta(days=days))


def issue_session_token(store: Store, user: User, *, hours: int = SESSION_HOURS) -> IssuedToken:
    """A short-lived token for a user who just signed in with their password (an ordinary token)."""
    if not 1 <= hours <= 24:
        raise InputError("a session lasts 1 to 24 hours", column="hours")
    return _insert_token(store, user, timedelta(hours=hours))


def _insert_token(store: Store, user: User, lifetime: timedelta) -> IssuedToken:
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime
    with store.engine.begin() as conn:
        token_id = conn.execute(
            insert(api_token).returning(api_token.c.id),
            {"user_id": user.id, "secret_sha256": _sha256(secret), "created_at": now, "expires_at": expires},
        ).scalar_one()
    return IssuedToken(id=int(token_id), user=user.name, token=f"{_PREFIX}{token_id}.{secret}", expires_at=expires)


def authenticate_token(store: Store, token: str, *, now: datetime | None = None) -> Principal:
    """The caller a token belongs to; :class:`AuthenticationError` if it is unknown, expired or revoked."""
    refused = AuthenticationError("the token is not valid")
    head, _, secret = token.removeprefix(_PREFIX).partition(".")
    if not token.startswith(_PREFIX) or not head.isdigit() or not secret or len(head) > 18:
        raise refused
    with store.engine.connect() as conn:
        row = conn.execute(
            _user_query()
            .add_columns(api_token.c.secret_sha256, api_token.c.expires_at, api_token.c.revoked_at)
            .join(api_token, api_token.c.user_id == app_user.c.id)
            .where(api_token.c.id == int(head))
        ).first()
    if row is None or not hmac.compare_digest(str(row.secret_sha256), _sha256(secret)):
        raise refused
    if row.revoked_at is not None or row.disabled_at is not None:
        raise AuthenticationError("the token was revoked")
    if _utc(row.expires_at) <= (now or datetime.now(UTC)):
        raise AuthenticationError("the token has expired")
    user = _user(dict(row._mapping))
    return Principal(**user.model_dump(), token_id=int(head))


def revoke_token(store: Store, token_id: int) -> None:
    """Revoke token ``token_id`` at once; revoking twice is harmless."""
    with store.engine.begin() as conn:
        found = conn.execute(select(api_token.c.revoked_at).where(api_token.c.id == token_id)).first()
        if found is None:
            raise NotFoundError(f"no token {token_id}")
        if found.revoked_at is None:
            conn.execute(update(api_token).where(api_token.c.id == token_id).values(revoked_at=datetime.now(UTC)))


def list_tokens(store: Store, *, active_only: bool = True, now: datetime | None = None) -> list[TokenInfo]:
    """The tokens (newest first): by default only those neither revoked nor expired; never their secrets."""
    query = (
        select(api_token.c.id, app_user.c.name.label("user"), organisation.c.name.label("organisation"),
               api_token.c.created_at, api_token.c.expires_at, api_token.c.revoked_at)
        .select_from(api_token.join(app_user, app_user.c.id == api_token.c.user_id)
                     .join(organisation, organisation.c.id == app_user.c.org_id))
        .order_by(api_token.c.id.desc())
    )
    if active_only:
        query = query.where(api_token.c.revoked_at.is_(None), api_token.c.expires_at > (now or datetime.now(UTC)))
    with store.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        TokenInfo(id=int(r["id"]), user=r["user"], organisation=r["organisation"], created_at=_utc(r["created_at"]),
                  expires_at=_utc(r["expires_at"]),
                  revoked_at=None if r["revoked_at"] is None else _utc(r["revoked_at"]))
        for r in rows
    ]
