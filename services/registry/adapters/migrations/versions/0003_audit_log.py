"""The audit trail: `audit_log`, append-only and hash-chained (shared/audit/).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from shared.audit.migration_ops import create_audit_table, drop_audit_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
