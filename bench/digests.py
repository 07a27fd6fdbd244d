"""What the continuous reconciliation's digests cost (shared/reconciliation/digests.py).

    .venv/bin/python -m bench.digests [--designations 1000000] [--batch 5000]

A scratch database (dropped afterwards) holds `designations` with the columns the digests read
(id, version, memorandum_code over the 12 seed memoranda, updated_at), with the digest tables,
the bucket index and the triggers of the migrations, and a twin table `plain` without them. Both
are filled by the same server-side `INSERT … SELECT generate_series` statements of `--batch`
rows (no client encoding in the figures), then one batch of each is updated to a new version.
Then: folding, a digest of every bucket (feedback's request) and of 3 memoranda (a
responder's), the (id, version) pairs of 32 buckets (one narrowing request), and for
comparison the digest computed by scanning the table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from shared.infra_file import infra_env_file
from shared.persistence.database import drop_database, ensure_database
from shared.reconciliation.digests import (
    BUCKET_OF_ID,
    BUCKETS,
    HASH_OF_VERSION,
    bucket_digests,
    bucket_entries,
    create_digest_statements,
    fold_pending,
)
from shared.settings import to_asyncpg_url

MEMORANDA = [f"memorandum_{n:02d}" for n in range(12)]
TABLE = "(id uuid PRIMARY KEY, version integer NOT NULL, memorandum_code text NOT NULL, "
TABLE += "updated_at timestamptz NOT NULL)"


def _database_url() -> str:
    for line in infra_env_file().read_text(encoding="utf-8").splitlines():
        if line.startswith("DATABASE_URL="):
            return line.partition("=")[2]
    raise SystemExit("no DATABASE_URL: run `jointcredit infra up`")


def _insert(table: str, rows: int) -> str:
    memoranda = "ARRAY[" + ", ".join(f"'{m}'" for m in MEMORANDA) + "]"
    return (
        f"INSERT INTO {table} (id, version, memorandum_code, updated_at) "
        f"SELECT gen_random_uuid(), 1, ({memoranda})[1 + n % {len(MEMORANDA)}], now() "
        f"FROM generate_series(1, {rows}) AS n"
    )


async def _timed(sessions: async_sessionmaker[AsyncSession], statement: str) -> float:
    async with sessions() as session:
        start = time.perf_counter()
        await session.execute(text(statement))
        await session.commit()
        return time.perf_counter() - start


async def _median(
    sessions: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[Any]],
    repeats: int = 5,
) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        async with sessions() as session:
            start = time.perf_counter()
            result = await work(session)
            times.append(time.perf_counter() - start)
            await session.commit()
    return statistics.median(times), result


async def run(designations: int, batch: int) -> None:
    server = _database_url()
    name = f"bench_digests_{uuid.uuid4().hex[:8]}"
    await ensure_database(server, name)
    engine = create_async_engine(to_asyncpg_url(server, name))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"CREATE TABLE designations {TABLE}"))
            await connection.execute(text(f"CREATE TABLE plain {TABLE}"))
            for statement in create_digest_statements():
                await connection.execute(text(statement))
        with_digests = without = 0.0
        for _ in range(designations // batch):
            with_digests += await _timed(sessions, _insert("designations", batch))
            without += await _timed(sessions, _insert("plain", batch))
        per_row = 1e6 / designations
        print(f"designations: {designations:,} in batches of {batch:,}")
        print(
            f"insert: {with_digests * per_row:.2f} µs/row with digests, "
            f"{without * per_row:.2f} µs/row without "
            f"(+{(with_digests - without) * per_row:.2f} µs/row)"
        )
        start = time.perf_counter()
        pending = await fold_pending(sessions)
        print(f"fold of {pending:,} change rows: {time.perf_counter() - start:.2f} s")
        update = "UPDATE {t} SET version = version + 1, updated_at = now() WHERE id IN "
        update += "(SELECT id FROM {t} ORDER BY id LIMIT " + str(batch) + ")"
        updated = await _timed(sessions, update.format(t="designations"))
        updated_plain = await _timed(sessions, update.format(t="plain"))
        print(
            f"update of {batch:,}: {updated * 1e6 / batch:.2f} µs/row with digests, "
            f"{updated_plain * 1e6 / batch:.2f} without"
        )
        start = time.perf_counter()
        pending = await fold_pending(sessions)
        print(f"fold after one batch ({pending:,}): {(time.perf_counter() - start) * 1000:.1f} ms")
        await _timed(sessions, "ANALYZE designations")
        elapsed, found = await _median(sessions, lambda s: bucket_digests(s, None))
        print(f"digest of every bucket ({len(found):,}): {elapsed * 1000:.1f} ms")
        elapsed, found = await _median(sessions, lambda s: bucket_digests(s, MEMORANDA[:3]))
        print(f"digest of 3 memoranda ({len(found):,} buckets): {elapsed * 1000:.1f} ms")
        buckets = list(range(0, BUCKETS, BUCKETS // 32))
        elapsed, entries = await _median(
            sessions, lambda s: bucket_entries(s, buckets, None, with_changed_at=True)
        )
        print(f"pairs of 32 buckets ({len(entries):,}): {elapsed * 1000:.1f} ms")
        scan = (
            f"SELECT {BUCKET_OF_ID} AS bucket, count(*), bit_xor({HASH_OF_VERSION}) "
            "FROM designations GROUP BY 1"
        )
        elapsed, _ = await _median(sessions, lambda s: s.execute(text(scan)), repeats=3)
        print(f"the same digest by scanning the table: {elapsed * 1000:.1f} ms")
    finally:
        await engine.dispose()
        await drop_database(server, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designations", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.designations, arguments.batch))


if __name__ == "__main__":
    main()
