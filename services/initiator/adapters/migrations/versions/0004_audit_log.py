"""The audit trail: `audit_log`, append-only and hash-chained (shared/audit/).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from shared.audit.migration_ops import create_audit_table, drop_audit_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
