"""Alembic operations creating `audit_log` and `audit_append()`, called by each service's
audit migrations.

A trigger refuses UPDATE, DELETE and TRUNCATE: the table is append-only for the service. An
owner can still disable the trigger, which is what the hash chain is for.

`audit_append()` chains entries in one round trip: it takes the chain's transaction-level
advisory lock, then reads the last entry (a statement of its own in a VOLATILE function, so
under READ COMMITTED it sees what the lock's previous holder committed), then inserts each
entry with its hash (`shared.audit.entries.entry_hash` computes the same). Writers of the
database wait for each other only from this call to their commit.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import MetaData

from shared.audit.tables import AUDIT_LOCK, add_audit_table

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


_APPEND = """
CREATE FUNCTION audit_append(
    bodies text[], actors text[], roles text[], departments text[], clients text[],
    request_id text, actions text[], targets text[], changes text[]
) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last_sequence bigint;
    last_hash text;
    moment timestamptz;
    micros text;
    linked text;
BEGIN
    PERFORM pg_advisory_xact_lock(%(lock)d);
    SELECT sequence, hash INTO last_sequence, last_hash
        FROM audit_log ORDER BY sequence DESC LIMIT 1;
    last_sequence := coalesce(last_sequence, 0);
    last_hash := coalesce(last_hash, repeat('0', 64));
    moment := clock_timestamp();
    micros := floor(extract(epoch FROM moment) * 1000000)::bigint::text;
    FOR i IN 1 .. coalesce(array_length(bodies, 1), 0) LOOP
        last_sequence := last_sequence + 1;
        linked := encode(sha256(convert_to(
            last_hash || E'\\n' || last_sequence::text || E'\\n' || micros || E'\\n' || bodies[i],
            'UTF8')), 'hex');
        INSERT INTO audit_log (sequence, at, actor, role, department, client, request_id,
                               action, target, change, previous_hash, hash)
        VALUES (last_sequence, moment, actors[i], roles[i], departments[i], clients[i],
                request_id, actions[i], targets[i], changes[i], last_hash, linked);
        last_hash := linked;
    END LOOP;
END $$
"""


AUDIT_APPEND_FUNCTION = _APPEND % {"lock": AUDIT_LOCK}


def create_audit_append() -> None:
    op.execute(AUDIT_APPEND_FUNCTION)


def drop_audit_append() -> None:
    op.execute("DROP FUNCTION audit_append")
