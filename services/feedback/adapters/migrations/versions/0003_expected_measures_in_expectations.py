"""The measures behind an expected response become an array on its row.

A designation is owed by ~30 departments and ~130 department × measure pairs; one row per pair
made feedback write four times as many rows per designation as it needs. The measure codes now
sit on the expectation (`measure_codes`), and the per-measure figures unnest them.

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

CODE = 100


def upgrade() -> None:
    op.add_column(
        "expectations",
        sa.Column(
            "measure_codes",
            ARRAY(sa.String(CODE)),
            nullable=False,
            server_default=sa.text("'{}'"),
        ),
    )
    op.execute(
        "UPDATE expectations AS e SET measure_codes = m.codes FROM ("
        " SELECT designation_id, department_code,"
        " array_agg(measure_code ORDER BY measure_code) AS codes"
        " FROM expected_measures GROUP BY designation_id, department_code) AS m"
        " WHERE e.designation_id = m.designation_id AND e.department_code = m.department_code"
    )
    op.drop_table("expected_measures")


def downgrade() -> None:
    op.create_table(
        "expected_measures",
        sa.Column("designation_id", sa.Uuid, primary_key=True),
        sa.Column("department_code", sa.String(CODE), primary_key=True),
        sa.Column("measure_code", sa.String(CODE), primary_key=True),
    )
    op.execute(
        "INSERT INTO expected_measures (designation_id, department_code, measure_code)"
        " SELECT designation_id, department_code, unnest(measure_codes) FROM expectations"
    )
    op.drop_column("expectations", "measure_codes")
