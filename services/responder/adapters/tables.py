"""The responder database: its own tables plus the outbox and inbox."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
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

catalogue_state = Table(
    "catalogue_state",
    metadata,
    Column("id", SmallInteger, primary_key=True, server_default=text("1")),
    Column("version", Integer, nullable=False),
    Column("document", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("id = 1", name="catalogue_state_single_row"),
)

designations = Table(
    "designations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("list_type", Text, nullable=False),
    Column("memorandum_code", Text, nullable=False),
    Column("subject_kind", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("subject_name", Text, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=True),
    Column("initiating_department", Text, nullable=False),
    Column("document_number", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("not_applicable", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("ignored_events", Integer, nullable=False, server_default=text("0")),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("designations_subject", "subject_id"),
)

measure_targets = Table(
    "measure_targets",
    metadata,
    Column(
        "designation_id",
        UUID(as_uuid=True),
        ForeignKey("designations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("target_role", Text, primary_key=True),
    Column("target_id", Text, primary_key=True),
    Column("target_kind", Text, nullable=False),
    Column("target_name", Text, nullable=False),
    Column("measure_codes", ARRAY(Text), nullable=False),
    Column("state", Text, nullable=False),
    Column("cause", Text, nullable=True),
    Column("set_by_version", Integer, nullable=False),
    Column("notified", Boolean, nullable=False),
    Index("measure_targets_target", "target_id"),
)

enforcements = Table(
    "enforcements",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("business_system", Text, nullable=False),
    Column("case_id", Text, nullable=False),
    Column("measure_code", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("designation_id", UUID(as_uuid=True), nullable=False),
    Column("designation_version", Integer, nullable=False),
    Column("target_kind", Text, nullable=False),
    Column("target_role", Text, nullable=False),
    Column("scenario", Text, nullable=True),
    Column("outcome", Text, nullable=False),
    Column("reason", Text, nullable=True),
    Column("result", Text, nullable=False),
    Column("amount", Numeric(20, 2), nullable=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("district", Text, nullable=True),
    Column("fingerprint", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "business_system", "case_id", "measure_code", "subject_id", name="enforcements_case"
    ),
    Index("enforcements_designation", "designation_id"),
    Index("enforcements_recorded", "recorded_at"),
)

index_changes = Table(
    "index_changes",
    metadata,
    Column("sequence", BigInteger, Identity(always=True), primary_key=True),
    Column("subject_ids", ARRAY(Text), nullable=False),
    Column("catalogue_version", Integer, nullable=True),
    Column("written_by", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("index_changes_changed_at", "changed_at"),
)
"""What changed in the check index, in commit order (index_feed.py): every replica follows it."""

index_change_horizon = Table(
    "index_change_horizon",
    metadata,
    Column("id", SmallInteger, primary_key=True, server_default=text("1")),
    Column("purged_through", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint("id = 1", name="index_change_horizon_single_row"),
)
"""The last sequence purged: a replica that had not read that far loads the index anew."""

add_digest_tables(metadata)

check_counts = Table(
    "check_counts",
    metadata,
    Column("client", Text, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("checks", BigInteger, nullable=False),
)
"""Checks answered per client and (UTC) day: the audit trail counts checks, it does not list them."""
