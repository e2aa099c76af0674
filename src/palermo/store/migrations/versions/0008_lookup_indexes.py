"""indexes for hit/no-hit lookups and one organisation's cases in id order

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 05:00:00

Hit/no-hit finds candidates by ``mode`` and ``digest`` without knowing the kind, so the index on
(mode, kind, digest) could not serve it: PostgreSQL scanned every plaintext key (about 1 s at
8 million keys, bench/load.py). A page of one organisation's cases in id order read the primary key
from the start and filtered; (org_id, id) reads just that page. It replaces the index on org_id alone.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this migration."""
    op.create_index("ix_identity_key_digest", "identity_key", ["mode", "digest"])
    op.create_index("ix_case_record_org_id", "case_record", ["org_id", "id"])
    op.drop_index("ix_case_record_org", table_name="case_record")


def downgrade() -> None:
    """Revert this migration."""
    op.create_index("ix_case_record_org", "case_record", ["org_id"])
    op.drop_index("ix_case_record_org_id", table_name="case_record")
    op.drop_index("ix_identity_key_digest", table_name="identity_key")
