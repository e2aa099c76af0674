"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Analytical case fields (``case_record``) and personal data (``person_identity``) live in separate
tables, so analysis never reads identifying data, and access to it can be controlled, audited and
encrypted on its own. Every case row carries its provenance: organisation, batch (file name,
SHA-256, time) and row number in the source file.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from ..standard import Field, FieldType, load_standard

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")


def column_type(field: Field) -> TypeEngine[object]:
    """The database type that stores a field."""
    match field.type:
        case FieldType.DATE:
            return Date()  # type: ignore[return-value]
        case FieldType.NUMBER:
            return Float()  # type: ignore[return-value]
        case FieldType.INTEGER:
            return Integer()  # type: ignore[return-value]
        case FieldType.BOOLEAN:
            return Boolean()  # type: ignore[return-value]
        case _:
            return Text()  # type: ignore[return-value]


organisation = Table(
    "organisation",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ingest_batch = Table(
    "ingest_batch",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=False),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("file_format", String(16), nullable=False),
    Column("layout", String(100), nullable=False),
    Column("rows_read", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("org_id", "file_sha256", name="uq_ingest_batch_org_file"),
)

PROVENANCE = ("org_id", "batch_id", "source_row")


def _case_columns(fields: tuple[Field, ...]) -> list[Column[object]]:
    return [Column(f.column, column_type(f), nullable=True, comment=f.name) for f in fields]


def _build_case_tables() -> tuple[Table, Table]:
    std = load_standard()
    case = Table(
        "case_record",
        metadata,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("org_id", Id, ForeignKey("organisation.id"), nullable=False),
        Column("batch_id", Id, ForeignKey("ingest_batch.id"), nullable=False),
        Column("source_row", Integer, nullable=False),
        *_case_columns(std.analytical_fields()),
        Column("extra", JSON, nullable=True, comment="source columns that map to no field"),
        UniqueConstraint("batch_id", "source_row", name="uq_case_record_batch_row"),
        Index("ix_case_record_org_id", "org_id", "id"),
    )
    identity = Table(
        "person_identity",
        metadata,
        Column("id", Id, primary_key=True, autoincrement=True),
        Column("org_id", Id, ForeignKey("organisation.id"), nullable=False),
        Column("batch_id", Id, nullable=False),
        Column("source_row", Integer, nullable=False),
        *_case_columns(std.identifying_fields()),
        Column("extra", JSON, nullable=True, comment="unmapped source columns that look like personal data"),
        ForeignKeyConstraint(
            ["batch_id", "source_row"],
            ["case_record.batch_id", "case_record.source_row"],
            name="fk_person_identity_case_record",
        ),
        UniqueConstraint("batch_id", "source_row", name="uq_person_identity_batch_row"),
    )
    return case, identity


case_record, person_identity = _build_case_tables()

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=False),
    Column("batch_id", Id, ForeignKey("ingest_batch.id"), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("column_name", Text, nullable=True),
    Column("value", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("raw_row", JSON, nullable=True, comment="the whole rejected row, as read"),
    Index("ix_quarantine_batch", "batch_id"),
)

privacy_ledger = Table(
    "privacy_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("dataset", String(200), nullable=False, comment="the protected data, e.g. all-cases"),
    Column("release_name", String(200), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("delta", Float, nullable=True),
    Column("spent_at", DateTime(timezone=True), nullable=False),
    Column("spent_by", String(200), nullable=False),
    Column("method", String(100), nullable=False),
    Column("parameters", JSON, nullable=False),
    UniqueConstraint("dataset", "release_name", name="uq_privacy_ledger_dataset_release"),
)

link_run = Table(
    "link_run",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("started_by", String(200), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("records", Integer, nullable=False),
    Column("new_records", Integer, nullable=False),
    Column("pairs", Integer, nullable=False),
    Column("entities", Integer, nullable=False),
    Column("new_entities", Integer, nullable=False),
    Column("merged", JSON, nullable=False, comment="[[kept entity, absorbed entity], ...]"),
    Column("next_entity", BigInteger, nullable=False, comment="number of the next new entity id"),
    Column("model", JSON, nullable=False, comment="the trained Splink model"),
)

link_entity = Table(
    "link_entity",
    metadata,
    Column("person_id", Id, ForeignKey("person_identity.id"), primary_key=True),
    Column("entity_id", String(20), nullable=False),
    Column("run_id", Id, ForeignKey("link_run.id"), nullable=False, comment="run that last assigned it"),
    Index("ix_link_entity_entity", "entity_id"),
)

link_pair = Table(
    "link_pair",
    metadata,
    Column("run_id", Id, ForeignKey("link_run.id"), primary_key=True),
    Column("person_l", Id, ForeignKey("person_identity.id"), primary_key=True),
    Column("person_r", Id, ForeignKey("person_identity.id"), primary_key=True),
    Column("match_probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
)

identity_key = Table(
    "identity_key",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=False, comment="the record's holder"),
    Column("mode", String(20), nullable=False, comment="plaintext (keyed by the deployment) or encoded (by the orgs)"),
    Column("record_ref", String(100), nullable=False, comment="person_identity.id, or the holder's opaque reference"),
    Column("kind", String(60), nullable=False, comment="phone, email, document, bank_account or a person key"),
    Column("digest", String(64), nullable=False, comment="keyed HMAC of the normalised value; never the value"),
    Index("ix_identity_key_lookup", "mode", "kind", "digest"),
    Index("ix_identity_key_digest", "mode", "digest"),
    Index("ix_identity_key_org", "org_id", "mode"),
)

shared_encoding = Table(
    "shared_encoding",
    metadata,
    Column("org_id", Id, ForeignKey("organisation.id"), primary_key=True),
    Column("record_ref", String(100), primary_key=True, comment="the holder's opaque reference"),
    Column("fingerprint", String(64), nullable=False, comment="of the encoding schema the holder used"),
    Column("bits", LargeBinary, nullable=False, comment="the Bloom-filter encoding"),
    Column("shared_at", DateTime(timezone=True), nullable=False),
)

deployment_secret = Table(
    "deployment_secret",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

hit_query = Table(
    "hit_query",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=False, comment="the asking organisation"),
    Column("asked_by", String(200), nullable=False),
    Column("kind", String(20), nullable=False, comment="person, phone, email, document, bank_account"),
    Column("mode", String(20), nullable=False, comment="plaintext or encoded"),
    Column("purpose", Text, nullable=False),
    Column("hit", Boolean, nullable=False),
)

hit_notice = Table(
    "hit_notice",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("query_id", Id, ForeignKey("hit_query.id"), nullable=False),
    Column("owner_org_id", Id, ForeignKey("organisation.id"), nullable=False),
    Column("record_ref", String(100), nullable=False, comment="the owner's matching record"),
    Column("score", Float, nullable=False),
    Column("status", String(20), nullable=False, comment="pending, disclosed or declined"),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Index("ix_hit_notice_owner", "owner_org_id", "status"),
    UniqueConstraint("query_id", "owner_org_id", "record_ref", name="uq_hit_notice_query_record"),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=False),
    Column("role", String(20), nullable=False, comment="contributor, analyst, auditor or admin"),
    Column("password_hash", String(200), nullable=False, comment="Argon2id, never the password"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True, comment="set while an admin has disabled the user"),
)

auth_event = Table(
    "auth_event",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rule", String(40), nullable=False, comment="the throttling rule counted (e.g. signin-user)"),
    Column("key", String(200), nullable=False, comment="what is counted: a user name as typed, a client address"),
    Column("at", Float, nullable=False, comment="when (seconds since the epoch)"),
    Index("ix_auth_event_rule_key_at", "rule", "key", "at"),
)

api_token = Table(
    "api_token",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("app_user.id"), nullable=False),
    Column("secret_sha256", String(64), nullable=False, comment="SHA-256 of the secret, never the secret"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_api_token_user", "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=True, comment="the actor's organisation"),
    Column("action", String(60), nullable=False, comment="e.g. hit.ask, hit.decide, cases.read"),
    Column("purpose", Text, nullable=False),
    Column("records", JSON, nullable=False, comment="refs of the records read or written"),
    Column("details", JSON, nullable=False),
    Column("seq", BigInteger, nullable=True, unique=True, comment="place in the chain; null until sealed"),
    Column("prev_hash", String(64), nullable=True, comment="hash of the previous entry (64 zeros first)"),
    Column("hash", String(64), nullable=True, comment="SHA-256 of this entry's canonical JSON"),
    Index("ix_audit_log_org", "org_id"),
)

sharing_agreement = Table(
    "sharing_agreement",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("grantor_org_id", Id, ForeignKey("organisation.id"), nullable=False, comment="the data's holder"),
    Column("grantee_org_id", Id, ForeignKey("organisation.id"), nullable=False, comment="who may see it"),
    Column("category", String(20), nullable=False, comment="cases, identities or linkage"),
    Column("level", String(20), nullable=False, comment="none, aggregate, pseudonymised or full"),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_until", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    CheckConstraint("grantor_org_id <> grantee_org_id", name="ck_sharing_agreement_other_org"),
    CheckConstraint("valid_from < valid_until", name="ck_sharing_agreement_period"),
    Index("ix_sharing_agreement_grantee", "grantee_org_id", "category"),
)

ingest_job = Table(
    "ingest_job",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("org_id", Id, ForeignKey("organisation.id"), nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("file_name", Text, nullable=False, comment="the uploaded file's name, as given (never a path used)"),
    Column("file_bytes", BigInteger, nullable=False),
    Column("status", String(20), nullable=False, comment="queued, running, stored, already-ingested, failed"),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("batch_id", Id, ForeignKey("ingest_batch.id"), nullable=True),
    Column("report", JSON, nullable=True, comment="the validation report, as the CLI prints it"),
    Column("error", JSON, nullable=True, comment="{code, message} when the job failed"),
    Column("purpose", Text, nullable=True, comment="why the file was uploaded (to run the job again after a crash)"),
    Column("dry_run", Boolean, nullable=True, comment="only check the file, store nothing"),
    Column("requested_crosswalk", JSON, nullable=True, comment="the mapping the job was asked to apply, if any"),
    Column("lease_until", DateTime(timezone=True), nullable=True,
           comment="until when the server that queued the job answers for it (renewed while it holds the job)"),
    Index("ix_ingest_job_org", "org_id"),
    Index("ix_ingest_job_status", "status"),
)
