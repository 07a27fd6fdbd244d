"""The feedback tables: catalogue held, designations, expected responses, receipts, requests.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CODE = 100


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.CheckConstraint("id = 1", name="catalogue_state_single_row"),
    )
    op.create_table(
        "catalogue_departments",
        sa.Column("code", sa.String(CODE), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "catalogue_memoranda",
        sa.Column("code", sa.String(CODE), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("list_type", sa.String(10), nullable=False),
    )
    op.create_table(
        "catalogue_measures",
        sa.Column("code", sa.String(CODE), primary_key=True),
        sa.Column("memorandum_code", sa.String(CODE), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
    )
    op.create_table(
        "designations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("list_type", sa.String(10), nullable=False),
        sa.Column("memorandum_code", sa.String(CODE), nullable=False),
        sa.Column("initiating_department", sa.String(CODE), nullable=False),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(32), nullable=False),
        sa.Column("subject_name", sa.Text, nullable=False),
        sa.Column("document_number", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("initiated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached_month", sa.String(7), nullable=False),
        sa.Column("obligations_version", sa.Integer, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    )
    op.create_index(
        "designations_pending",
        "designations",
        ["id"],
        postgresql_where=sa.text("obligations_version IS NULL"),
    )
    op.create_index(
        "designations_initiator", "designations", ["initiating_department", "reached_month"]
    )
    op.create_table(
        "designation_versions",
        sa.Column("designation_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "expectations",
        sa.Column(
            "designation_id",
            UUID(as_uuid=True),
            sa.ForeignKey("designations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("department_code", sa.String(CODE), primary_key=True),
        sa.Column("list_type", sa.String(10), nullable=False),
        sa.Column("memorandum_code", sa.String(CODE), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reached_month", sa.String(7), nullable=False),
        sa.Column("deadline_workdays", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("overdue_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("provisional", sa.Boolean, nullable=False),
        sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_republish_requested_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("expectations_department", "expectations", ["department_code", "reached_month"])
    op.create_index(
        "expectations_unanswered",
        "expectations",
        ["overdue_from"],
        postgresql_where=sa.text("first_received_at IS NULL"),
    )
    op.create_table(
        "expected_measures",
        sa.Column("designation_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department_code", sa.String(CODE), primary_key=True),
        sa.Column("measure_code", sa.String(CODE), primary_key=True),
    )
    op.create_table(
        "receipts",
        sa.Column("receipt_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("department_code", sa.String(CODE), nullable=False),
        sa.Column("designation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("designation_version", sa.Integer, nullable=False),
        sa.Column("answers", UUID(as_uuid=True), nullable=False),
        sa.Column("measure_code", sa.String(CODE), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_month", sa.String(7), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
    )
    op.create_index("receipts_answer", "receipts", ["designation_id", "department_code", "kind"])
    op.create_index("receipts_department", "receipts", ["department_code", "occurred_month"])
    op.create_index(
        "receipts_enforcements",
        "receipts",
        ["occurred_month"],
        postgresql_where=sa.text("kind = 'enforcement'"),
    )
    op.create_table(
        "republish_requests",
        sa.Column("request_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("designation_count", sa.Integer, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column(
            "requested_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()
        ),
    )


def downgrade() -> None:
    for table in (
        "republish_requests",
        "receipts",
        "expected_measures",
        "expectations",
        "designation_versions",
        "designations",
        "catalogue_measures",
        "catalogue_memoranda",
        "catalogue_departments",
        "catalogue_state",
    ):
        op.drop_table(table)
