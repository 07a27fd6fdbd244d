"""The responder's own tables: catalogue, designations, measure-targets, enforcements.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.SmallInteger, primary_key=True, server_default=sa.text("1")),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.CheckConstraint("id = 1", name="catalogue_state_single_row"),
    )
    op.create_table(
        "designations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("list_type", sa.Text, nullable=False),
        sa.Column("memorandum_code", sa.Text, nullable=False),
        sa.Column("subject_kind", sa.Text, nullable=False),
        sa.Column("subject_id", sa.Text, nullable=False),
        sa.Column("subject_name", sa.Text, nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("initiating_department", sa.Text, nullable=False),
        sa.Column("document_number", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_applicable", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("ignored_events", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("designations_subject", "designations", ["subject_id"])
    op.create_table(
        "measure_targets",
        sa.Column(
            "designation_id",
            UUID(as_uuid=True),
            sa.ForeignKey("designations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("target_role", sa.Text, primary_key=True),
        sa.Column("target_id", sa.Text, primary_key=True),
        sa.Column("target_kind", sa.Text, nullable=False),
        sa.Column("target_name", sa.Text, nullable=False),
        sa.Column("measure_codes", ARRAY(sa.Text), nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("cause", sa.Text, nullable=True),
        sa.Column("set_by_version", sa.Integer, nullable=False),
        sa.Column("notified", sa.Boolean, nullable=False),
    )
    op.create_index("measure_targets_target", "measure_targets", ["target_id"])
    op.create_table(
        "enforcements",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("business_system", sa.Text, nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("measure_code", sa.Text, nullable=False),
        sa.Column("subject_id", sa.Text, nullable=False),
        sa.Column("designation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("designation_version", sa.Integer, nullable=False),
        sa.Column("target_kind", sa.Text, nullable=False),
        sa.Column("target_role", sa.Text, nullable=False),
        sa.Column("scenario", sa.Text, nullable=True),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("amount", sa.Numeric(20, 2), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("district", sa.Text, nullable=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "business_system", "case_id", "measure_code", "subject_id", name="enforcements_case"
        ),
    )
    op.create_index("enforcements_designation", "enforcements", ["designation_id"])
    op.create_index("enforcements_recorded", "enforcements", ["recorded_at"])


def downgrade() -> None:
    op.drop_table("enforcements")
    op.drop_table("measure_targets")
    op.drop_table("designations")
    op.drop_table("catalogue_state")
