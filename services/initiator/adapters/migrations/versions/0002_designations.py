"""Designations, their append-only history, objections, repairs, imports, re-publish requests.

Revision ID: 0002
Revises: 0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_EMPTY_LIST = sa.text("'[]'::jsonb")


def _moment(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "catalogue_versions",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column(
            "stored_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_table(
        "designations",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("list_type", sa.String(10), nullable=False),
        sa.Column("memorandum_code", sa.String(100), nullable=False),
        sa.Column("subject_kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.String(18), nullable=False),
        sa.Column("subject_name", sa.Text, nullable=False),
        sa.Column("responsible_persons", JSONB, nullable=False, server_default=_EMPTY_LIST),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("legal_basis", sa.Text, nullable=False),
        sa.Column("document_number", sa.String(200), nullable=False),
        sa.Column("evidence", JSONB, nullable=False, server_default=_EMPTY_LIST),
        _moment("decided_at"),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("initiating_department", sa.String(100), nullable=False),
        _moment("created_at"),
        _moment("updated_at"),
        _moment("exited_at", nullable=True),
        sa.Column("publication_due", sa.Date, nullable=False),
        sa.Column("publication_due_provisional", sa.Boolean, nullable=False),
        sa.Column("publication_late", sa.Boolean, nullable=False),
        sa.Column("import_id", UUID(as_uuid=True), nullable=True),
        sa.UniqueConstraint(
            "initiating_department",
            "document_number",
            "subject_id",
            name="uq_designations_department_document_subject",
        ),
    )
    op.create_index(
        "ix_designations_active_period_end",
        "designations",
        ["period_end"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index("ix_designations_list", "designations", ["list_type", "status", "created_at"])
    op.create_index(
        "ix_designations_department", "designations", ["initiating_department", "created_at"]
    )
    op.create_index("ix_designations_subject", "designations", ["subject_id"])
    op.create_index("ix_designations_memorandum", "designations", ["memorandum_code", "id"])
    op.create_index(
        "ix_designations_exited",
        "designations",
        ["exited_at"],
        postgresql_where=sa.text("exited_at IS NOT NULL"),
    )

    op.create_table(
        "designation_history",
        sa.Column("position", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column(
            "designation_id", UUID(as_uuid=True), sa.ForeignKey("designations.id"), nullable=False
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(80), nullable=False),
        _moment("at"),
        sa.Column("actor_kind", sa.String(20), nullable=False),
        sa.Column("actor_department", sa.String(100), nullable=True),
        sa.Column("actor_client", sa.String(200), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.UniqueConstraint("designation_id", "version", name="uq_designation_history_version"),
    )
    op.execute(
        """
        CREATE FUNCTION designation_history_is_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'designation_history is append-only';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER designation_history_append_only BEFORE UPDATE OR DELETE "
        "ON designation_history FOR EACH ROW EXECUTE FUNCTION designation_history_is_append_only()"
    )

    for name, text_column in (("objections", "grounds"), ("repairs", "statement")):
        decision = (
            [
                sa.Column("resolution", sa.String(20), nullable=True),
                sa.Column("note", sa.Text, nullable=True),
            ]
            if name == "objections"
            else [sa.Column("reason", sa.Text, nullable=True)]
        )
        op.create_table(
            name,
            sa.Column("id", UUID(as_uuid=True), primary_key=True),
            sa.Column(
                "designation_id",
                UUID(as_uuid=True),
                sa.ForeignKey("designations.id"),
                nullable=False,
            ),
            sa.Column("filed_by_kind", sa.String(20), nullable=False),
            sa.Column("filed_by_department", sa.String(100), nullable=True),
            sa.Column("filed_by_client", sa.String(200), nullable=True),
            sa.Column(text_column, sa.Text, nullable=False),
            sa.Column("evidence", JSONB, nullable=False, server_default=_EMPTY_LIST),
            sa.Column("contact", sa.Text, nullable=True),
            _moment("filed_at"),
            sa.Column("answer_due", sa.Date, nullable=False),
            sa.Column("answer_due_provisional", sa.Boolean, nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            *decision,
            _moment("decided_at", nullable=True),
            sa.Column("decided_by_client", sa.String(200), nullable=True),
        )
        op.create_index(
            f"uq_{name}_one_pending",
            name,
            ["designation_id"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
        )
        op.create_index(f"ix_{name}_designation", name, ["designation_id", "filed_at"])
        op.create_index(f"ix_{name}_status_due", name, ["status", "answer_due"])

    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("body", JSONB, nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])

    zero = sa.text("0")
    op.create_table(
        "imports",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("department", sa.String(100), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("filename", sa.Text, nullable=True),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("default_memorandum", sa.String(100), nullable=True),
        sa.Column("default_list_type", sa.String(10), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False, server_default=zero),
        sa.Column("created", sa.Integer, nullable=False, server_default=zero),
        sa.Column("duplicates", sa.Integer, nullable=False, server_default=zero),
        sa.Column("errors", sa.Integer, nullable=False, server_default=zero),
        sa.Column("ignored_columns", JSONB, nullable=False, server_default=_EMPTY_LIST),
        sa.Column("failure", sa.Text, nullable=True),
        _moment("started_at"),
        _moment("heartbeat_at"),
        _moment("finished_at", nullable=True),
    )
    op.create_index("ix_imports_department", "imports", ["department", "started_at"])
    op.create_table(
        "import_report",
        sa.Column("position", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("import_id", UUID(as_uuid=True), sa.ForeignKey("imports.id"), nullable=False),
        sa.Column("row", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("designation_id", UUID(as_uuid=True), nullable=True),
        sa.Column("column", sa.Text, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_import_report_outcome", "import_report", ["import_id", "outcome", "position"]
    )

    op.create_table(
        "republish_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.Column("designation_ids", ARRAY(UUID(as_uuid=True)), nullable=True),
        sa.Column("department_code", sa.String(100), nullable=True),
        sa.Column("memoranda", ARRAY(sa.Text), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("cursor", UUID(as_uuid=True), nullable=True),
        sa.Column("republished", sa.Integer, nullable=False, server_default=zero),
        _moment("requested_at"),
        _moment("finished_at", nullable=True),
    )
    op.create_index(
        "ix_republish_requests_open",
        "republish_requests",
        ["requested_at"],
        postgresql_where=sa.text("state <> 'done'"),
    )


def downgrade() -> None:
    for table in (
        "republish_requests",
        "import_report",
        "imports",
        "idempotency_keys",
        "repairs",
        "objections",
        "designation_history",
        "designations",
        "catalogue_versions",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS designation_history_is_append_only()")
