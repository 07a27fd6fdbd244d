"""The feedback database: the catalogue it holds, designations, expected responses, receipts.

Figures are computed by SQL aggregates over these normalised tables; nothing is pre-summed, so
a receipt counts exactly once because `receipts.receipt_id` is its primary key.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
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

CODE = 100

catalogue_state = Table(
    "catalogue_state",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("document", JSONB, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("id = 1", name="catalogue_state_single_row"),
)

catalogue_departments = Table(
    "catalogue_departments",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("active", Boolean, nullable=False),
)

catalogue_memoranda = Table(
    "catalogue_memoranda",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("title", Text, nullable=False),
    Column("list_type", String(10), nullable=False),
)

catalogue_measures = Table(
    "catalogue_measures",
    metadata,
    Column("code", String(CODE), primary_key=True),
    Column("memorandum_code", String(CODE), nullable=False),
    Column("title", Text, nullable=False),
)

designations = Table(
    "designations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("list_type", String(10), nullable=False),
    Column("memorandum_code", String(CODE), nullable=False),
    Column("initiating_department", String(CODE), nullable=False),
    Column("subject_kind", String(20), nullable=False),
    Column("subject_id", String(32), nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("document_number", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=True),
    Column("initiated_at", DateTime(timezone=True), nullable=True),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("reached_at", DateTime(timezone=True), nullable=False),
    Column("reached_month", String(7), nullable=False),
    Column("obligations_version", Integer, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("designations_pending", "id", postgresql_where=text("obligations_version IS NULL")),
    Index("designations_initiator", "initiating_department", "reached_month"),
)

designation_versions = Table(
    "designation_versions",
    metadata,
    Column("designation_id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
)

expectations = Table(
    "expectations",
    metadata,
    Column(
        "designation_id",
        UUID(as_uuid=True),
        ForeignKey("designations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("department_code", String(CODE), primary_key=True),
    Column("list_type", String(10), nullable=False),
    Column("memorandum_code", String(CODE), nullable=False),
    Column("reached_at", DateTime(timezone=True), nullable=False),
    Column("reached_month", String(7), nullable=False),
    Column("deadline_workdays", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("overdue_from", DateTime(timezone=True), nullable=False),
    Column("provisional", Boolean, nullable=False),
    Column("first_received_at", DateTime(timezone=True), nullable=True),
    Column("last_republish_requested_at", DateTime(timezone=True), nullable=True),
    Column("measure_codes", ARRAY(String(CODE)), nullable=False, server_default=text("'{}'")),
    Index("expectations_department", "department_code", "reached_month"),
    Index(
        "expectations_unanswered",
        "overdue_from",
        postgresql_where=text("first_received_at IS NULL"),
    ),
)

receipts = Table(
    "receipts",
    metadata,
    Column("receipt_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("department_code", String(CODE), nullable=False),
    Column("designation_id", UUID(as_uuid=True), nullable=False),
    Column("designation_version", Integer, nullable=False),
    Column("answers", UUID(as_uuid=True), nullable=False),
    Column("measure_code", String(CODE), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("occurred_month", String(7), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("receipts_answer", "designation_id", "department_code", "kind"),
    Index("receipts_department", "department_code", "occurred_month"),
    Index("receipts_enforcements", "occurred_month", postgresql_where=text("kind = 'enforcement'")),
)

republish_requests = Table(
    "republish_requests",
    metadata,
    Column("request_id", UUID(as_uuid=True), primary_key=True),
    Column("reason", String(30), nullable=False),
    Column("designation_count", Integer, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("requested_by", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

add_digest_tables(metadata)
