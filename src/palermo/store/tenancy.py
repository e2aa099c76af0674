"""Tenancy in the database: a store that acts for one organisation, enforced by PostgreSQL row-level security.

:func:`tenant_store` gives a view of a store whose every transaction, on PostgreSQL, first switches to
the ``palermo_tenant`` role and names the organisation (``SET LOCAL``, so nothing outlives the
transaction on a pooled connection). The policies created by migration 0007 then let that role read a
case data row only if its organisation is the tenant or has granted the tenant a sharing agreement of a
sufficient level; with no organisation set, it reads nothing. So a query that forgets its filter in
Python still returns only what the agreements allow. ``access="aggregate"`` also admits rows shared
at the aggregate-only level, for computing published statistics; only code that returns aggregates
asks for it.

SQLite has no row-level security: on the embedded store (one machine, one organisation's staff) the
Python layer's filters are the only ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, event

if TYPE_CHECKING:
    from .db import Store

Access = Literal["rows", "aggregate"]
TENANT_ROLE = "palermo_tenant"
_ORG, _ACCESS = "palermo_org", "palermo_access"
_ENTER = (
    f"SET LOCAL ROLE {TENANT_ROLE}",
    "SELECT set_config('palermo.org_id', %(org)s, true), set_config('palermo.access', %(access)s, true)",
)


def tenant_store(store: Store, org_id: int, access: Access = "rows") -> Store:
    """``store`` acting for organisation ``org_id``: on PostgreSQL, every read is filtered by the policies."""
    from .db import Store

    engine = store.engine.execution_options(**{_ORG: int(org_id), _ACCESS: access})
    return Store(
        engine=engine, url=store.url, secrets=store.secrets, organisations=store.organisations,
        seal_soon=store.seal_soon,
    )


def tenant_of(store: Store) -> tuple[int, Access] | None:
    """The organisation and access a store acts for, or None for the unrestricted store."""
    options = store.engine.get_execution_options()
    if options.get(_ORG) is None:
        return None
    return int(options[_ORG]), options.get(_ACCESS, "rows")


def enter_tenant_adbc(cursor: Any, org_id: int, access: Access) -> None:
    """Switch an ADBC PostgreSQL cursor's current transaction to the tenant role for ``org_id``."""
    cursor.execute(_ENTER[0])
    cursor.execute(_ENTER[1].replace("%(org)s", "$1").replace("%(access)s", "$2"), (str(int(org_id)), access))


def _on_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get(_ORG) is None:
        return
    conn.exec_driver_sql(_ENTER[0])
    conn.exec_driver_sql(_ENTER[1], {"org": str(int(options[_ORG])), "access": options.get(_ACCESS, "rows")})


def install(engine: Engine) -> None:
    """Make ``engine`` (PostgreSQL) enter the tenant role at the start of each tenant transaction."""
    event.listen(engine, "begin", _on_begin)
