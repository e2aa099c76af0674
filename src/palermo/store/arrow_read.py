"""Read the result of one constant SQL statement as an Arrow-backed polars frame, on either backend.

Through ADBC: Arrow straight from SQLite (in a child process, see :mod:`palermo.store.sqlite_worker`)
or from PostgreSQL; no Python rows. Only statements compiled from SQLAlchemy constructs reach it, so
no value from input is ever part of the SQL text.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select

from .bulk import run_sqlite_worker
from .db import Store
from .tenancy import enter_tenant_adbc, tenant_of


def compile_select(store: Store, query: Select[tuple[object, ...]]) -> str:
    """``query`` as SQL text for ``store``'s dialect (the query must carry no bound values)."""
    dialect = sqlite.dialect() if store.dialect == "sqlite" else postgresql.dialect()  # type: ignore[no-untyped-call]
    return str(query.compile(dialect=dialect))


def read_arrow(store: Store, query: Select[tuple[object, ...]]) -> pl.DataFrame:
    """Run ``query`` (no bound values) and return its rows as a polars frame."""
    sql = compile_select(store, query)
    if store.dialect == "sqlite":
        path = store.sqlite_path()
        assert path is not None
        with tempfile.TemporaryDirectory(prefix="palermo-read-") as tmp:
            query_file, out = Path(tmp) / "query.sql", Path(tmp) / "result.arrow"
            query_file.write_text(sql, encoding="utf-8")
            run_sqlite_worker(["read", str(path), str(query_file), str(out)])
            return pl.read_ipc(out).rechunk()
    import adbc_driver_postgresql.dbapi as driver

    tenant = tenant_of(store)
    with driver.connect(store.adbc_uri()) as conn, conn.cursor() as cur:
        if tenant is not None:
            enter_tenant_adbc(cur, *tenant)
        cur.execute(sql)
        loaded = pl.from_arrow(cur.fetch_arrow_table())
    assert isinstance(loaded, pl.DataFrame)
    return loaded
