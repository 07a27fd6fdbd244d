"""The audit trail: `audit_log`, append-only and hash-chained (shared/audit/).
Checks are not logged one by one: `check_counts` counts them per client and day.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared.audit.migration_ops import create_audit_table, drop_audit_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table()
    op.create_table(
        "check_counts",
        sa.Column("client", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("checks", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("check_counts")
    drop_audit_table()
