"""The initiator database: its own tables plus the outbox and inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.audit.tables import add_audit_table
from shared.delivery.tables import add_delivery_tables
from shared.reconciliation.digests import add_digest_tables

metadata = MetaData()
delivery = add_delivery_tables(metadata)
audit_log = add_audit_table(metadata)


catalogue_versions = Table(
    "catalogue_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("document", JSONB, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

designations = Table(
    "designations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("list_type", String(10), nullable=False),
    Column("memorandum_code", String(100), nullable=False),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(18), nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("responsible_persons", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("reason", Text, nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("document_number", String(200), nullable=False),
    Column("evidence", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=True),
    Column("initiating_department", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("exited_at", DateTime(timezone=True), nullable=True),
    Column("publication_due", Date, nullable=False),
    Column("publication_due_provisional", Boolean, nullable=False),
    Column("publication_late", Boolean, nullable=False),
    Column("import_id", UUID(as_uuid=True), nullable=True),
    UniqueConstraint(
        "initiating_department",
        "document_number",
        "subject_id",
        name="uq_designations_department_document_subject",
    ),
    Index(
        "ix_designations_active_period_end",
        "period_end",
        postgresql_where=text("status = 'active'"),
    ),
    Index("ix_designations_list", "list_type", "status", "created_at"),
    Index("ix_designations_department", "initiating_department", "created_at"),
    Index("ix_designations_subject", "subject_id"),
    Index("ix_designations_memorandum", "memorandum_code", "id"),
    Index("ix_designations_exited", "exited_at", postgresql_where=text("exited_at IS NOT NULL")),
)

designation_history = Table(
    "designation_history",
    metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    Column("designation_id", UUID(as_uuid=True), ForeignKey("designations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("period_end", Date, nullable=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_kind", String(20), nullable=False),
    Column("actor_department", String(100), nullable=True),
    Column("actor_client", String(200), nullable=True),
    Column("note", Text, nullable=True),
    UniqueConstraint("designation_id", "version", name="uq_designation_history_version"),
)

objections = Table(
    "objections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("designation_id", UUID(as_uuid=True), ForeignKey("designations.id"), nullable=False),
    Column("filed_by_kind", String(20), nullable=False),
    Column("filed_by_department", String(100), nullable=True),
    Column("filed_by_client", String(200), nullable=True),
    Column("grounds", Text, nullable=False),
    Column("evidence", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("contact", Text, nullable=True),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("answer_due", Date, nullable=False),
    Column("answer_due_provisional", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("resolution", String(20), nullable=True),
    Column("note", Text, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by_client", String(200), nullable=True),
    Index(
        "uq_objections_one_pending",
        "designation_id",
        unique=True,
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_objections_designation", "designation_id", "filed_at"),
    Index("ix_objections_status_due", "status", "answer_due"),
)

repairs = Table(
    "repairs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("designation_id", UUID(as_uuid=True), ForeignKey("designations.id"), nullable=False),
    Column("filed_by_kind", String(20), nullable=False),
    Column("filed_by_department", String(100), nullable=True),
    Column("filed_by_client", String(200), nullable=True),
    Column("statement", Text, nullable=False),
    Column("evidence", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("contact", Text, nullable=True),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("answer_due", Date, nullable=False),
    Column("answer_due_provisional", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_by_client", String(200), nullable=True),
    Index(
        "uq_repairs_one_pending",
        "designation_id",
        unique=True,
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_repairs_designation", "designation_id", "filed_at"),
    Index("ix_repairs_status_due", "status", "answer_due"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("body", JSONB, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_idempotency_keys_created_at", "created_at"),
)

imports = Table(
    "imports",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("department", String(100), nullable=False),
    Column("client_id", String(200), nullable=False),
    Column("filename", Text, nullable=True),
    Column("format", String(10), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("default_memorandum", String(100), nullable=True),
    Column("default_list_type", String(10), nullable=True),
    Column("state", String(20), nullable=False),
    Column("rows_read", Integer, nullable=False, server_default=text("0")),
    Column("created", Integer, nullable=False, server_default=text("0")),
    Column("duplicates", Integer, nullable=False, server_default=text("0")),
    Column("errors", Integer, nullable=False, server_default=text("0")),
    Column("ignored_columns", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("failure", Text, nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_imports_department", "department", "started_at"),
)

import_report = Table(
    "import_report",
    metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    Column("import_id", UUID(as_uuid=True), ForeignKey("imports.id"), nullable=False),
    Column("row", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("designation_id", UUID(as_uuid=True), nullable=True),
    Column("column", Text, nullable=True),
    Column("message", Text, nullable=True),
    Index("ix_import_report_outcome", "import_id", "outcome", "position"),
)

republish_requests = Table(
    "republish_requests",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("scope", String(20), nullable=False),
    Column("designation_ids", ARRAY(UUID(as_uuid=True)), nullable=True),
    Column("department_code", String(100), nullable=True),
    Column("memoranda", ARRAY(Text), nullable=True),
    Column("reason", String(40), nullable=False),
    Column("requested_by", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("cursor", UUID(as_uuid=True), nullable=True),
    Column("republished", Integer, nullable=False, server_default=text("0")),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index(
        "ix_republish_requests_open",
        "requested_at",
        postgresql_where=text("state <> 'done'"),
    ),
)

add_digest_tables(metadata)
