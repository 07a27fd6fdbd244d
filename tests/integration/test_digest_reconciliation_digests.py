"""The digests the triggers keep equal the digest computed from the table itself, after inserts,
new versions, other updates and deletes, folded or not, while folding runs alongside writers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from shared.persistence.database import drop_database, ensure_database
from shared.reconciliation.digests import (
    BUCKET_OF_ID,
    HASH_OF_VERSION,
    BucketDigest,
    bucket_digests,
    bucket_entries,
    create_digest_statements,
    drop_digest_statements,
    fold_pending,
)
from shared.settings import to_asyncpg_url

pytestmark = pytest.mark.integration

MEMORANDA = ("alpha", "beta", "gamma")


@asynccontextmanager
async def digest_database(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A scratch database with a `designations` table of the columns the digests read."""
    name = f"digests_{uuid.uuid4().hex[:12]}"
    await ensure_database(database_url, name)
    engine = create_async_engine(to_asyncpg_url(database_url, name))
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "CREATE TABLE designations (id uuid PRIMARY KEY, version integer NOT NULL, "
                    "memorandum_code text NOT NULL, updated_at timestamptz NOT NULL, "
                    "note text)"
                )
            )
            for statement in create_digest_statements():
                await connection.execute(text(statement))
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()
        await drop_database(database_url, name)


async def scanned(
    sessions: async_sessionmaker[AsyncSession], memoranda: tuple[str, ...] | None
) -> dict[int, BucketDigest]:
    scope = "" if memoranda is None else "WHERE memorandum_code = ANY(:memoranda)"
    async with sessions() as session:
        rows = await session.execute(
            text(
                f"SELECT {BUCKET_OF_ID} AS bucket, count(*) AS n, bit_xor({HASH_OF_VERSION}) "
                f"AS h FROM designations {scope} GROUP BY 1"
            ),
            {"memoranda": list(memoranda or ())},
        )
        return {row.bucket: BucketDigest(int(row.n), int(row.h)) for row in rows}


async def kept(
    sessions: async_sessionmaker[AsyncSession], memoranda: tuple[str, ...] | None
) -> dict[int, BucketDigest]:
    async with sessions() as session:
        return await bucket_digests(session, memoranda)


async def execute(sessions: async_sessionmaker[AsyncSession], sql: str, **params: object) -> None:
    async with sessions() as session:
        await session.execute(text(sql), params)
        await session.commit()


async def assert_digests_agree(sessions: async_sessionmaker[AsyncSession]) -> None:
    for scope in (None, MEMORANDA[:1], MEMORANDA[1:]):
        assert await kept(sessions, scope) == await scanned(sessions, scope)


INSERT = (
    "INSERT INTO designations (id, version, memorandum_code, updated_at, note) "
    "SELECT gen_random_uuid(), 1 + n % 3, (CAST(:memoranda AS text[]))[1 + n % 3], now(), "
    ":note FROM generate_series(1, :rows) AS n"
)


async def test_kept_digests_equal_the_table_through_every_kind_of_write(database_url: str) -> None:
    async with digest_database(database_url) as sessions:
        await execute(sessions, INSERT, memoranda=list(MEMORANDA), rows=3000, note="first")
        await assert_digests_agree(sessions)
        await execute(sessions, "UPDATE designations SET version = version + 1 WHERE version = 1")
        await assert_digests_agree(sessions)
        await execute(sessions, "UPDATE designations SET note = 'no new version'")
        async with sessions() as session:
            assert await session.scalar(text("SELECT count(*) FROM digest_changes")) > 0
        assert await fold_pending(sessions) > 0
        await assert_digests_agree(sessions)
        await execute(
            sessions,
            "UPDATE designations SET memorandum_code = :other WHERE memorandum_code = :one",
            other=MEMORANDA[2],
            one=MEMORANDA[0],
        )
        await execute(sessions, "DELETE FROM designations WHERE version = 2")
        await assert_digests_agree(sessions)
        await fold_pending(sessions)
        await assert_digests_agree(sessions)

        async with sessions() as session:
            buckets = sorted(await bucket_digests(session, None))[:5]
            entries = await bucket_entries(session, buckets, None)
            found = await session.scalar(
                text(f"SELECT count(*) FROM designations WHERE {BUCKET_OF_ID} = ANY(:b)"),
                {"b": buckets},
            )
        assert len(entries) == found

        async with sessions() as session:
            for statement in drop_digest_statements():
                await session.execute(text(statement))
            await session.commit()


async def test_folding_alongside_concurrent_writers_loses_no_change(database_url: str) -> None:
    async with digest_database(database_url) as sessions:

        async def writer(name: str) -> None:
            for _ in range(20):
                await execute(sessions, INSERT, memoranda=list(MEMORANDA), rows=200, note=name)
                await execute(
                    sessions,
                    "UPDATE designations SET version = version + 1 WHERE id IN (SELECT id "
                    "FROM designations WHERE note = :name ORDER BY random() LIMIT 50)",
                    name=name,
                )

        async def folder(done: asyncio.Event) -> None:
            while not done.is_set():
                await fold_pending(sessions)

        done = asyncio.Event()
        folding = asyncio.create_task(folder(done))
        await asyncio.gather(*(writer(f"writer-{n}") for n in range(4)))
        done.set()
        await folding
        await assert_digests_agree(sessions)
        await fold_pending(sessions)
        await assert_digests_agree(sessions)
