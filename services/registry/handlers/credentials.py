"""API clients of the departments and the tokens they obtain with their secrets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import credential_store as store
from services.registry.domain.client_secrets import (
    DUMMY_HASH,
    hash_secret,
    is_client_id,
    new_client_id,
    new_secret,
    secret_matches,
)
from services.registry.handlers.catalogue import CatalogueReader
from services.registry.handlers.errors import NotFound, Rejected
from services.registry.handlers.keys import SigningKeys
from shared.audit.appending import append
from shared.audit.entries import Act, Actor
from shared.auth.principal import Role
from shared.auth.tokens import sign_token
from shared.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class IssuedClient:
    client_id: str
    client_secret: str
    department_code: str
    roles: list[str]
    name: str
    created_at: datetime


async def issue_client(
    uow: UnitOfWork,
    reader: CatalogueReader,
    *,
    department_code: str,
    roles: list[Role],
    name: str,
    by: Actor,
) -> IssuedClient:
    """A new client with a secret shown only now. Commits."""
    current = await reader.current(uow.session)
    if current is None:
        raise Rejected("the registry holds no catalogue yet: load it with `jointcredit seed`")
    if department_code not in current.state.departments:
        raise Rejected(f"unknown department {department_code!r}: not in the catalogue")
    if not roles:
        raise Rejected("a client needs at least one role")
    granted = sorted({Role(r).value for r in roles})
    name = name or f"{department_code} client"
    secret = new_secret()
    client_id = new_client_id()
    now = datetime.now(UTC)
    await store.insert_client(
        uow.session,
        client_id=client_id,
        department_code=department_code,
        roles=granted,
        name=name,
        secret_hash=await asyncio.to_thread(hash_secret, secret),
        created_by=by.actor,
        now=now,
    )
    change = {"department": department_code, "roles": granted, "name": name}
    await append(uow.session, [Act(by, "credential.issued", client_id, change)])
    await uow.commit()
    return IssuedClient(client_id, secret, department_code, granted, name, now)


async def live_client(session: AsyncSession, client_id: str) -> store.ClientRow:
    found = await store.client(session, client_id)
    if found is None or found.deleted_at is not None:
        raise NotFound(f"no client {client_id!r}")
    return found


async def delete_client(uow: UnitOfWork, client_id: str, by: Actor) -> None:
    """The client obtains no more tokens; tokens it holds expire within their lifetime."""
    if not await store.mark_client_deleted(uow.session, client_id, by.actor, datetime.now(UTC)):
        raise NotFound(f"no client {client_id!r}")
    await append(uow.session, [Act(by, "credential.revoked", client_id, {})])
    await uow.commit()


async def authenticate(
    session: AsyncSession, client_id: str, secret: str
) -> store.ClientRow | None:
    """The client, if the secret is its own; as slow for an unknown client as for a known one."""
    found = await store.client(session, client_id) if is_client_id(client_id) else None
    stored = found.secret_hash if found is not None and found.deleted_at is None else DUMMY_HASH
    matches = await asyncio.to_thread(secret_matches, secret, stored)
    return found if matches and stored is not DUMMY_HASH else None


async def issue_token(
    uow: UnitOfWork, keys: SigningKeys, client: store.ClientRow, lifetime_s: int
) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds (the first key is created here)."""
    key = await keys.signing(uow)
    token = sign_token(
        key,
        client_id=client.client_id,
        department_code=client.department_code,
        roles=client.roles,
        lifetime_s=lifetime_s,
    )
    return token, lifetime_s
