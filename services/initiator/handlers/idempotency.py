"""`Idempotency-Key`: the same key and request replay the first answer; another request is refused.

The key is reserved in the transaction that does the work: a concurrent request with the same key
waits on the unique index until the first commits (then replays it) or rolls back (then runs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.initiator.adapters.tables import idempotency_keys
from shared.persistence.unit_of_work import UnitOfWork
from shared.web.problems import Problem

K = idempotency_keys.c

Work = Callable[[AsyncSession], Awaitable[tuple[int, dict[str, Any]]]]


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def fingerprint(method: str, path: str, payload: Any) -> str:
    canonical = orjson.dumps(
        {"method": method, "path": path, "payload": payload}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()


async def _reserve(session: AsyncSession, key: IdempotencyKey) -> Answer | None:
    inserted = await session.execute(
        insert(idempotency_keys)
        .values(scope=key.scope, key=key.key, fingerprint=key.fingerprint)
        .on_conflict_do_nothing()
        .returning(K.key)
    )
    if inserted.first() is not None:
        return None
    row = (
        await session.execute(
            select(K.fingerprint, K.status_code, K.body).where(
                K.scope == key.scope, K.key == key.key
            )
        )
    ).one()
    if row.fingerprint != key.fingerprint:
        raise Problem(
            422,
            f"Idempotency-Key {key.key!r} was already used for a different request",
            title="Idempotency key reused",
            errors=[{"location": "header.Idempotency-Key", "message": "used for another request"}],
        )
    return Answer(int(row.status_code), dict(row.body), replayed=True)


async def run_once(uow: UnitOfWork, key: IdempotencyKey | None, work: Work) -> Answer:
    """Do `work` in one transaction and commit, unless `key` already holds an answer."""
    async with uow:
        if key is not None:
            replay = await _reserve(uow.session, key)
            if replay is not None:
                return replay
        status, body = await work(uow.session)
        if key is not None:
            await uow.session.execute(
                update(idempotency_keys)
                .where(K.scope == key.scope, K.key == key.key)
                .values(status_code=status, body=body)
            )
        await uow.commit()
        return Answer(status, body)


async def purge(session: AsyncSession, retention_hours: float) -> int:
    result = await session.execute(
        delete(idempotency_keys).where(K.created_at < func.now() - timedelta(hours=retention_hours))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
