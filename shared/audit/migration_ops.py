"""Alembic operations creating `audit_log`, called by each service's audit migration.

A trigger refuses UPDATE, DELETE and TRUNCATE: the table is append-only for the service. An
owner can still disable the trigger, which is what the hash chain is for.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import MetaData

from shared.audit.tables import add_audit_table

_REFUSE = """
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END $$
"""


def create_audit_table() -> None:
    metadata = MetaData()
    add_audit_table(metadata)
    metadata.create_all(op.get_bind())
    op.execute(_REFUSE)
    op.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def drop_audit_table() -> None:
    op.execute("DROP TABLE audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
