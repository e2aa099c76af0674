"""audit entries are sealed into the chain after they commit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 04:40:00

Adds ``seq`` (an entry's place in the chain, null until sealed) and lets ``prev_hash`` and ``hash``
wait for the seal. Entries already written keep their hashes and get ``seq`` in id order, the order
they were chained in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("seq", sa.BigInteger(), nullable=True, comment="place in the chain; null until sealed")
        )
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=True,
                              existing_comment="hash of the previous entry (64 zeros first)")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=True,
                              existing_comment="SHA-256 of this entry's canonical JSON")
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    op.execute(
        "UPDATE audit_log SET seq = (SELECT count(*) FROM audit_log AS earlier WHERE earlier.id <= audit_log.id)"
    )


def downgrade() -> None:
    """Revert this migration (entries not yet sealed are removed: they have no hash)."""
    op.execute("DELETE FROM audit_log WHERE seq IS NULL")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("seq")
