"""failed sign-ins and bearer tokens are counted in the store, shared by every server process

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 21:00:00

The throttle's counts lived in one process's memory: ``palermo serve --workers N`` or replicas
multiplied every allowance by their number, and a restart forgot it. ``auth_event`` holds one row
per counted event while it is inside its rule's window.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "auth_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False,
                  comment="the throttling rule counted (e.g. signin-user)"),
        sa.Column("key", sa.String(length=200), nullable=False,
                  comment="what is counted: a user name as typed, a client address"),
        sa.Column("at", sa.Float(), nullable=False, comment="when (seconds since the epoch)"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_event")),
    )
    op.create_index("ix_auth_event_rule_key_at", "auth_event", ["rule", "key", "at"])


def downgrade() -> None:
    """Revert this migration."""
    op.drop_index("ix_auth_event_rule_key_at", table_name="auth_event")
    op.drop_table("auth_event")
