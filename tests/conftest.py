"""Shared fixtures: a real store on every backend (SQLite file, PostgreSQL server), the reference data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from palermo.store.db import Store, open_store
from palermo.store.orgs import add_organisation
from tests.support import PG_ADMIN

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(autouse=True, scope="session")
def _releases_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Publication releases made by any test (schemathesis's admin examples too) go to a temporary folder."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PALERMO_RELEASES_DIR", str(tmp_path_factory.mktemp("releases")))
    yield
    patch.undo()


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as the template of each test's database."""
    name = f"palermo_tpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    store = open_store(_pg_url(name))
    store.engine.dispose()
    yield name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Store:
    """A fresh, migrated, empty store on ``backend``."""
    if backend == "sqlite":
        return open_store(f"sqlite:///{tmp_path / 'palermo.db'}")
    template = request.getfixturevalue("pg_template")
    name = f"palermo_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return open_store(_pg_url(name))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store, once on SQLite and once on PostgreSQL."""
    opened = make_store(request.param, tmp_path, request)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store (for tests about files rather than backends)."""
    opened = open_store(f"sqlite:///{tmp_path / 'palermo.db'}")
    yield opened
    opened.engine.dispose()


@pytest.fixture
def org(store: Store) -> str:
    """A registered organisation in ``store``; its name."""
    add_organisation(store, "Test Shelter", "NGO", "TH")
    return "Test Shelter"
