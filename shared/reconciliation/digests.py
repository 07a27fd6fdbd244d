"""Digests of a `designations` table: per memorandum and bucket of the id space, a count and
the XOR of a hash of each (id, version).

XOR is its own inverse, so a change is a delta (an insert adds its hash, a new version adds the
old and the new hash, a delete adds the old one): statement-level triggers append the deltas of
each write to `digest_changes` (insert-only, so concurrent writers never wait on each other) and
a worker folds them into `digest_buckets` every few seconds, in chunks. A digest is `digest_buckets` plus the
changes not folded yet, read in one statement: exact at that statement's snapshot, whatever the
table's size. The same SQL runs in the initiator's, feedback's and every responder's database,
so one bucket means the same ids everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    cast,
    func,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

BUCKETS = 4096
"""Buckets of the id space; fixed, as the bucket index and the digest rows depend on it. At
10 million designations a bucket holds about 2,400 of them."""
BUCKET_OF_ID = f"(hashtextextended(id::text, 0) & {BUCKETS - 1})"
HASH_OF_VERSION = "hashtextextended(id::text || ':' || version::text, 0)"
BUCKET_INDEX = "designations_digest_bucket"
_FOLD_LOCK = 0x6A63_6466  # advisory lock: one fold at a time per database
FOLD_CHUNK = 20_000
"""Changes folded per transaction: a bulk import writes about one change row per designation
(12 memoranda x 4,096 buckets leave few to add up within a batch)."""


def add_digest_tables(metadata: MetaData) -> None:
    """Declare the digest tables and the bucket index (the migrations create them)."""
    Table(
        "digest_buckets",
        metadata,
        Column("memorandum_code", Text, primary_key=True),
        Column("bucket", Integer, primary_key=True, autoincrement=False),
        Column("designations", BigInteger, nullable=False),
        Column("hash", BigInteger, nullable=False),
    )
    Table(
        "digest_changes",
        metadata,
        Column("position", BigInteger, Identity(always=True), primary_key=True),
        Column("memorandum_code", Text, nullable=False),
        Column("bucket", Integer, nullable=False),
        Column("designations", BigInteger, nullable=False),
        Column("hash", BigInteger, nullable=False),
    )
    designation_id = metadata.tables["designations"].c.id
    Index(BUCKET_INDEX, func.hashtextextended(cast(designation_id, Text), 0).op("&")(BUCKETS - 1))


def _delta(rows: str, sign: int) -> str:
    return (
        f"SELECT memorandum_code, {BUCKET_OF_ID} AS bucket, {sign} AS designations, "
        f"{HASH_OF_VERSION} AS hash FROM {rows}"
    )


_TRIGGERS = {
    "insert": (_delta("new_rows", 1), "REFERENCING NEW TABLE AS new_rows"),
    "update": (
        f"{_delta('new_rows', 1)} UNION ALL {_delta('old_rows', -1)}",
        "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows",
    ),
    "delete": (_delta("old_rows", -1), "REFERENCING OLD TABLE AS old_rows"),
}


def create_digest_statements() -> list[str]:
    """DDL of a migration: the tables, the bucket index, the triggers, and the digest of the
    rows already there."""
    statements = [
        "CREATE TABLE digest_buckets (memorandum_code text NOT NULL, bucket integer NOT NULL, "
        "designations bigint NOT NULL, hash bigint NOT NULL, "
        "PRIMARY KEY (memorandum_code, bucket))",
        "CREATE TABLE digest_changes (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "memorandum_code text NOT NULL, bucket integer NOT NULL, designations bigint NOT NULL, "
        "hash bigint NOT NULL)",
        f"CREATE INDEX {BUCKET_INDEX} ON designations ({BUCKET_OF_ID})",
        "INSERT INTO digest_buckets (memorandum_code, bucket, designations, hash) "
        f"SELECT memorandum_code, {BUCKET_OF_ID}, count(*), bit_xor({HASH_OF_VERSION}) "
        "FROM designations GROUP BY 1, 2",
    ]
    for operation, (deltas, referencing) in _TRIGGERS.items():
        statements.append(
            f"CREATE FUNCTION digest_on_{operation}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN INSERT INTO digest_changes (memorandum_code, bucket, designations, hash) "
            "SELECT memorandum_code, bucket, sum(designations), bit_xor(hash) "
            f"FROM ({deltas}) AS deltas GROUP BY memorandum_code, bucket "
            "HAVING sum(designations) <> 0 OR bit_xor(hash) <> 0; RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER designations_digest_{operation} AFTER {operation.upper()} "
            f"ON designations {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION digest_on_{operation}()"
        )
    return statements


def drop_digest_statements() -> list[str]:
    statements = []
    for operation in _TRIGGERS:
        statements.append(f"DROP TRIGGER designations_digest_{operation} ON designations")
        statements.append(f"DROP FUNCTION digest_on_{operation}()")
    return [
        *statements,
        f"DROP INDEX {BUCKET_INDEX}",
        "DROP TABLE digest_changes",
        "DROP TABLE digest_buckets",
    ]


@dataclass(frozen=True)
class BucketDigest:
    designations: int
    hash: int


@dataclass(frozen=True)
class Entry:
    """One designation as a side holds it; `changed_at` only from the initiator."""

    id: uuid.UUID
    version: int
    changed_at: datetime | None = None


def _scope(memoranda: Sequence[str] | None) -> str:
    return "" if memoranda is None else "WHERE memorandum_code = ANY(:memoranda)"


async def fold(session: AsyncSession, limit: int = FOLD_CHUNK) -> int:
    """Add up to `limit` of the oldest pending changes into the buckets; how many it moved
    (0 while another session folds: digests count unfolded changes anyway)."""
    locked = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _FOLD_LOCK})
    if not locked:
        return 0
    moved = await session.scalar(
        text(
            "WITH moved AS (DELETE FROM digest_changes WHERE position IN (SELECT position "
            "FROM digest_changes ORDER BY position LIMIT :limit) "
            "RETURNING memorandum_code, bucket, designations, hash), "
            "folded AS (INSERT INTO digest_buckets AS b "
            "(memorandum_code, bucket, designations, hash) "
            "SELECT memorandum_code, bucket, sum(designations), bit_xor(hash) FROM moved "
            "GROUP BY 1, 2 ORDER BY 1, 2 "
            "ON CONFLICT (memorandum_code, bucket) DO UPDATE SET "
            "designations = b.designations + excluded.designations, "
            "hash = b.hash # excluded.hash) "
            "SELECT count(*) FROM moved"
        ),
        {"limit": limit},
    )
    return int(moved or 0)


async def fold_pending(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Fold every pending change, a chunk per transaction; how many were folded."""
    total = 0
    while True:
        async with sessions() as session:
            moved = await fold(session)
            await session.commit()
        total += moved
        if moved < FOLD_CHUNK:
            return total


async def bucket_digests(
    session: AsyncSession, memoranda: Sequence[str] | None
) -> dict[int, BucketDigest]:
    """The non-empty buckets of the designations of `memoranda` (None: all)."""
    rows = await session.execute(
        text(
            "SELECT bucket, sum(designations) AS n, bit_xor(hash) AS h FROM ("
            "SELECT memorandum_code, bucket, designations, hash FROM digest_buckets UNION ALL "
            "SELECT memorandum_code, bucket, designations, hash FROM digest_changes"
            f") AS parts {_scope(memoranda)} GROUP BY bucket "
            "HAVING sum(designations) <> 0 OR bit_xor(hash) <> 0"
        ),
        {"memoranda": list(memoranda or ())},
    )
    return {row.bucket: BucketDigest(int(row.n), int(row.h)) for row in rows}


async def bucket_entries(
    session: AsyncSession,
    buckets: Sequence[int],
    memoranda: Sequence[str] | None,
    *,
    with_changed_at: bool = False,
) -> list[Entry]:
    """The (id, version) of the designations of `memoranda` in `buckets`, through the index."""
    scope = "" if memoranda is None else "AND memorandum_code = ANY(:memoranda)"
    changed = "updated_at" if with_changed_at else "NULL::timestamptz"
    rows = await session.execute(
        text(
            f"SELECT id, version, {changed} AS changed_at FROM designations "
            f"WHERE {BUCKET_OF_ID} = ANY(:buckets) {scope} ORDER BY id"
        ),
        {"buckets": list(buckets), "memoranda": list(memoranda or ())},
    )
    return [Entry(row.id, row.version, row.changed_at) for row in rows]
