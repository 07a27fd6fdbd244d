"""The outbox and inbox of the feedback database.

Revision ID: 0001
Revises:
"""

from shared.delivery.migration_ops import create_delivery_tables, drop_delivery_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_delivery_tables()


def downgrade() -> None:
    drop_delivery_tables()
