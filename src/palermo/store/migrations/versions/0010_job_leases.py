"""upload jobs carry what is needed to run them again, and a lease held by the server that queued them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 20:20:00

A server killed with jobs queued or running left them so for ever. Now a job records its purpose,
whether it only checks the file, the mapping it was asked to apply, and ``lease_until``, renewed by
the server while it holds the job; another server (or the same one, restarted) runs a job whose lease
ran out again from its kept file. Jobs queued before this migration have no lease: they count as
ran out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.Text(), nullable=True,
                                      comment="why the file was uploaded (to run the job again after a crash)"))
        batch_op.add_column(sa.Column("dry_run", sa.Boolean(), nullable=True,
                                      comment="only check the file, store nothing"))
        batch_op.add_column(sa.Column("requested_crosswalk", sa.JSON(), nullable=True,
                                      comment="the mapping the job was asked to apply, if any"))
        batch_op.add_column(sa.Column(
            "lease_until", sa.DateTime(timezone=True), nullable=True,
            comment="until when the server that queued the job answers for it (renewed while it holds the job)",
        ))
        batch_op.create_index("ix_ingest_job_status", ["status"], unique=False)


def downgrade() -> None:
    """Revert this migration."""
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_job_status")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("requested_crosswalk")
        batch_op.drop_column("dry_run")
        batch_op.drop_column("purpose")
