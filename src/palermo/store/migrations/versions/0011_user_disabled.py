"""administrators can disable a user

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:45:00

``app_user.disabled_at``: set while the user is disabled (no sign-in; their tokens were revoked when
it was set). Users are never deleted, so that the audit log keeps naming someone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True,
                                      comment="set while an admin has disabled the user"))


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
