"""Opening the store: engines for SQLite and PostgreSQL, migrations to the current schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import NullPool

from ..errors import ConfigurationError, PalermoError
from . import tenancy


class StoreUnavailableError(PalermoError):
    """The database cannot be reached or opened."""

    code = "store_unavailable"


@dataclass(frozen=True)
class Store:
    """An open store: its SQLAlchemy engine and the URL it was opened from."""

    engine: Engine
    url: str
    secrets: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    """The deployment's secret keys once read (they never change once made): no query per request."""
    organisations: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Organisations once read, by name (a registered organisation never changes): no query per request."""
    models: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)
    """Trained linkage models once read, by run id (a run's model never changes): no model read per query."""
    seal_soon: list[Callable[[], None]] = field(default_factory=list, repr=False, compare=False)
    """Set while a background sealer runs (:class:`palermo.audit_sealing.BackgroundSealer`): audited
    writes ask it to seal soon instead of sealing the audit log themselves."""

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def display_url(self) -> str:
        """The URL without password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def sqlite_path(self) -> Path | None:
        """The database file, for SQLite stores."""
        return sqlite_file(self.url)

    def adbc_uri(self) -> str:
        """The URI an ADBC driver needs for bulk loading (Arrow in, COPY or bound batches out)."""
        url = make_url(self.url)
        if self.dialect == "sqlite":
            return str(url.database)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_file(url: str) -> Path | None:
    """The database file a SQLite URL (or plain path) names; None for other databases."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and plain file paths as well as SQLAlchemy URLs."""
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_store_engine(url: str) -> Engine:
    """An engine for ``url`` with palermo's connection settings (no connection is made yet)."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"database URL {url!r} is not valid (try sqlite:///palermo.db)") from None
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigurationError(
            f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL"
        )
    if parsed.get_backend_name() == "sqlite":
        # No pooling: a pooled pysqlite connection can keep a stale WAL snapshot and miss bulk loads
        # committed through the ADBC connection; opening a SQLite file costs well under a millisecond.
        engine = create_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Up to 40 connections: as many as the server's worker threads, so none waits for a connection.
    engine = create_engine(url, pool_pre_ping=True, pool_size=20, max_overflow=20)
    tenancy.install(engine)
    return engine


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("palermo.store").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default create or upgrade to the current schema) the store at ``url``."""
    url = normalise_url(url)
    engine = create_store_engine(url)
    store = Store(engine=engine, url=url)
    path = store.sqlite_path()
    if path is not None and not path.parent.exists():
        raise StoreUnavailableError(f"cannot create database {path}: folder {path.parent} does not exist")
    try:
        if migrate:
            command.upgrade(_alembic_config(engine), "head")
        else:
            inspect(engine).get_table_names()
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailableError(f"cannot open database {store.display_url()}: {reason}") from None
    return store
