"""sharing agreements, ingest jobs, row-level security

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 03:45:00

On PostgreSQL, the case data tables get row-level security policies for the ``palermo_tenant`` role
(see :mod:`palermo.store.tenancy`): a connection acting as that role sees its own organisation's rows
and those an active sharing agreement grants it, and nothing at all when no organisation is set.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TENANT_ROLE = "palermo_tenant"
# table -> its data category (each has the owning organisation in org_id)
PROTECTED = {
    "case_record": "cases",
    "quarantine": "cases",
    "ingest_batch": "cases",
    "person_identity": "identities",
}
READABLE = ["organisation", "sharing_agreement", "link_entity", "link_run"]

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION palermo_tenant_org() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('palermo.org_id', true), '')::bigint $$;

CREATE OR REPLACE FUNCTION palermo_granted_levels() RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT CASE WHEN current_setting('palermo.access', true) = 'aggregate'
               THEN ARRAY['aggregate', 'pseudonymised', 'full']
               ELSE ARRAY['pseudonymised', 'full'] END $$;
"""

_POLICY = """
CREATE POLICY palermo_tenant_read ON {table} FOR SELECT TO palermo_tenant USING (
    org_id = palermo_tenant_org()
    OR org_id IN (
        SELECT a.grantor_org_id FROM sharing_agreement a
        WHERE a.grantee_org_id = palermo_tenant_org() AND a.category = '{category}'
          AND a.level = ANY (palermo_granted_levels())
          AND a.revoked_at IS NULL AND a.valid_from <= now() AND now() < a.valid_until
    )
)
"""

_ROLE = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'palermo_tenant') THEN
        CREATE ROLE palermo_tenant NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
"""


def upgrade() -> None:
    """Apply this migration."""
    op.create_table(
        "sharing_agreement",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("grantor_org_id", _ID, nullable=False, comment="the data's holder"),
        sa.Column("grantee_org_id", _ID, nullable=False, comment="who may see it"),
        sa.Column("category", sa.String(length=20), nullable=False, comment="cases, identities or linkage"),
        sa.Column("level", sa.String(length=20), nullable=False, comment="none, aggregate, pseudonymised or full"),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("grantor_org_id <> grantee_org_id", name="ck_sharing_agreement_other_org"),
        sa.CheckConstraint("valid_from < valid_until", name="ck_sharing_agreement_period"),
        sa.ForeignKeyConstraint(
            ["grantor_org_id"], ["organisation.id"], name=op.f("fk_sharing_agreement_grantor_org_id_organisation")
        ),
        sa.ForeignKeyConstraint(
            ["grantee_org_id"], ["organisation.id"], name=op.f("fk_sharing_agreement_grantee_org_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreement")),
    )
    with op.batch_alter_table("sharing_agreement", schema=None) as batch_op:
        batch_op.create_index("ix_sharing_agreement_grantee", ["grantee_org_id", "category"], unique=False)
    op.create_table(
        "ingest_job",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column(
            "file_name", sa.Text(), nullable=False, comment="the uploaded file's name, as given (never a path used)"
        ),
        sa.Column("file_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "status", sa.String(length=20), nullable=False, comment="queued, running, stored, already-ingested, failed"
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("batch_id", _ID, nullable=True),
        sa.Column("report", sa.JSON(), nullable=True, comment="the validation report, as the CLI prints it"),
        sa.Column("error", sa.JSON(), nullable=True, comment="{code, message} when the job failed"),
        sa.ForeignKeyConstraint(["batch_id"], ["ingest_batch.id"], name=op.f("fk_ingest_job_batch_id_ingest_batch")),
        sa.ForeignKeyConstraint(["org_id"], ["organisation.id"], name=op.f("fk_ingest_job_org_id_organisation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_job")),
    )
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.create_index("ix_ingest_job_org", ["org_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        _row_level_security()


def _row_level_security() -> None:
    op.execute(_ROLE)
    op.execute(_FUNCTIONS)
    for table, category in PROTECTED.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(_POLICY.format(table=table, category=category))
        op.execute(f"GRANT SELECT ON {table} TO {TENANT_ROLE}")
    for table in READABLE:
        op.execute(f"GRANT SELECT ON {table} TO {TENANT_ROLE}")
    op.execute(f"GRANT {TENANT_ROLE} TO CURRENT_USER")


def downgrade() -> None:
    """Revert this migration."""
    if op.get_bind().dialect.name == "postgresql":
        for table in PROTECTED:
            op.execute(f"DROP POLICY IF EXISTS palermo_tenant_read ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
            op.execute(f"REVOKE SELECT ON {table} FROM {TENANT_ROLE}")  # noqa: S608 (constant names)
        for table in READABLE:
            op.execute(f"REVOKE SELECT ON {table} FROM {TENANT_ROLE}")  # noqa: S608 (constant names)
        op.execute("DROP FUNCTION IF EXISTS palermo_granted_levels()")
        op.execute("DROP FUNCTION IF EXISTS palermo_tenant_org()")
    with op.batch_alter_table("ingest_job", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_job_org")
    op.drop_table("ingest_job")
    with op.batch_alter_table("sharing_agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_sharing_agreement_grantee")
    op.drop_table("sharing_agreement")
