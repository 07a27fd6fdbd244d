"""`audit_append()`: the chain is extended in one round trip (shared/audit/migration_ops.py).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from shared.audit.migration_ops import create_audit_append, drop_audit_append

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_append()


def downgrade() -> None:
    drop_audit_append()
