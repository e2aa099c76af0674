"""Alembic environment: migrations run on the engine palermo passes in (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from palermo.store.schema import metadata

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
