"""`audit_append()`: the chain is extended in one round trip (shared/audit/migration_ops.py).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from shared.audit.migration_ops import create_audit_append, drop_audit_append

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_append()


def downgrade() -> None:
    drop_audit_append()
