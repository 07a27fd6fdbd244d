"""The audit trail: `audit_log`, append-only and hash-chained (shared/audit/).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from shared.audit.migration_ops import create_audit_table, drop_audit_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table()


def downgrade() -> None:
    drop_audit_table()
