"""Digests of the designations held, kept by triggers in the transaction of every write, and
an index on each designation's bucket: the continuous reconciliation compares them with the
initiator's (shared/reconciliation/digests.py).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from shared.reconciliation.digests import create_digest_statements, drop_digest_statements

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in create_digest_statements():
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_digest_statements():
        op.execute(statement)
