"""SQL for API clients and signing keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters.tables import api_clients, signing_keys
from services.registry.domain.signing_keys import KeyTimes

_KEYS_LOCK = 7_314_002
"""Advisory lock serialising key creation and rotation."""


@dataclass(frozen=True)
class ClientRow:
    client_id: str
    department_code: str
    roles: list[str]
    name: str
    secret_hash: str
    created_at: datetime
    created_by: str
    deleted_at: datetime | None


@dataclass(frozen=True)
class KeyRow:
    times: KeyTimes
    private_pem: str | None
    encrypted: bool
    public_jwk: dict[str, Any]


_CLIENT_COLUMNS = (
    api_clients.c.client_id,
    api_clients.c.department_code,
    api_clients.c.roles,
    api_clients.c.name,
    api_clients.c.secret_hash,
    api_clients.c.created_at,
    api_clients.c.created_by,
    api_clients.c.deleted_at,
)


async def insert_client(
    session: AsyncSession,
    *,
    client_id: str,
    department_code: str,
    roles: list[str],
    name: str,
    secret_hash: str,
    created_by: str,
    now: datetime,
) -> None:
    await session.execute(
        insert(api_clients).values(
            client_id=client_id,
            department_code=department_code,
            roles=roles,
            name=name,
            secret_hash=secret_hash,
            created_by=created_by,
            created_at=now,
        )
    )


async def client(session: AsyncSession, client_id: str) -> ClientRow | None:
    row = (
        await session.execute(select(*_CLIENT_COLUMNS).where(api_clients.c.client_id == client_id))
    ).first()
    return ClientRow(**row._mapping) if row is not None else None


async def clients(
    session: AsyncSession,
    *,
    department_code: str | None,
    include_deleted: bool,
    limit: int,
    offset: int,
) -> tuple[list[ClientRow], int]:
    conditions = []
    if department_code is not None:
        conditions.append(api_clients.c.department_code == department_code)
    if not include_deleted:
        conditions.append(api_clients.c.deleted_at.is_(None))
    query = select(*_CLIENT_COLUMNS).where(*conditions)
    rows = (
        await session.execute(
            query.order_by(api_clients.c.created_at, api_clients.c.client_id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = await session.scalar(select(func.count()).select_from(api_clients).where(*conditions))
    return [ClientRow(**row._mapping) for row in rows], int(total or 0)


async def active_client_count(session: AsyncSession, department_code: str) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(api_clients)
        .where(api_clients.c.department_code == department_code, api_clients.c.deleted_at.is_(None))
    )
    return int(total or 0)


async def mark_client_deleted(
    session: AsyncSession, client_id: str, deleted_by: str, now: datetime
) -> bool:
    result = await session.execute(
        update(api_clients)
        .where(api_clients.c.client_id == client_id, api_clients.c.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by=deleted_by)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def lock_keys(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEYS_LOCK})


async def keys(session: AsyncSession, *, include_retired: bool = False) -> list[KeyRow]:
    query = select(signing_keys).order_by(signing_keys.c.signs_from)
    if not include_retired:
        query = query.where(signing_keys.c.retired_at.is_(None))
    return [
        KeyRow(
            times=KeyTimes(
                kid=row.kid,
                signs_from=row.signs_from,
                signs_until=row.signs_until,
                retire_after=row.retire_after,
                retired_at=row.retired_at,
            ),
            private_pem=row.private_pem,
            encrypted=row.encrypted,
            public_jwk=row.public_jwk,
        )
        for row in (await session.execute(query)).all()
    ]


async def insert_key(
    session: AsyncSession,
    *,
    times: KeyTimes,
    private_pem: str,
    encrypted: bool,
    public_jwk: dict[str, Any],
    now: datetime,
) -> None:
    await session.execute(
        insert(signing_keys).values(
            kid=times.kid,
            private_pem=private_pem,
            encrypted=encrypted,
            public_jwk=public_jwk,
            created_at=now,
            signs_from=times.signs_from,
            signs_until=times.signs_until,
            retire_after=times.retire_after,
        )
    )


async def update_key_times(session: AsyncSession, times: KeyTimes) -> None:
    """Store new times; a retired key loses its private half."""
    values: dict[str, Any] = {
        "signs_until": times.signs_until,
        "retire_after": times.retire_after,
        "retired_at": times.retired_at,
    }
    if times.retired_at is not None:
        values["private_pem"] = None
    await session.execute(
        update(signing_keys).where(signing_keys.c.kid == times.kid).values(**values)
    )
