"""The check index's change feed: every replica of a department follows it.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_changes",
        sa.Column("sequence", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("subject_ids", ARRAY(sa.Text), nullable=False),
        sa.Column("catalogue_version", sa.Integer, nullable=True),
        sa.Column("written_by", sa.Text, nullable=False),
        sa.Column(
            "changed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("index_changes_changed_at", "index_changes", ["changed_at"])
    op.create_table(
        "index_change_horizon",
        sa.Column("id", sa.SmallInteger, primary_key=True, server_default=sa.text("1")),
        sa.Column("purged_through", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.CheckConstraint("id = 1", name="index_change_horizon_single_row"),
    )
    op.execute("INSERT INTO index_change_horizon (id, purged_through) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("index_change_horizon")
    op.drop_index("index_changes_changed_at", table_name="index_changes")
    op.drop_table("index_changes")
