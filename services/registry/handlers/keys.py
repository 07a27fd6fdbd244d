"""Token signing keys: the current one (created on first use), rotation, and the public set."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc.jwk import ECKey
from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import credential_store as store
from services.registry.domain.signing_keys import (
    KeyTimes,
    due_for_retirement,
    published_keys,
    rotate,
    signing_key,
)
from shared.audit.appending import append
from shared.audit.entries import SCHEDULER, Act, Actor
from shared.auth.tokens import ALGORITHM, generate_signing_key, public_jwk
from shared.persistence.unit_of_work import UnitOfWork

REGISTRY = Actor("registry")
"""The registry itself: it creates its first signing key when the first token is asked for."""


class KeyUnavailable(RuntimeError):
    """The signing key cannot be read (encrypted, and no or a wrong passphrase)."""


@dataclass(frozen=True)
class RotationView:
    kid: str
    signs_from: datetime
    superseded: list[KeyTimes]
    retired: list[str]


class SigningKeys:
    """Private keys are decrypted once and kept in memory by key id."""

    def __init__(
        self, passphrase: str | None, on_change: Callable[[], None] = lambda: None
    ) -> None:
        self._passphrase = passphrase
        self._loaded: dict[str, ECKey] = {}
        self._on_change = on_change

    def _encode(self, key: ECKey) -> str:
        return key.as_pem(private=True, password=self._passphrase).decode("ascii")

    def _decode(self, row: store.KeyRow) -> ECKey:
        cached = self._loaded.get(row.times.kid)
        if cached is not None:
            return cached
        if row.private_pem is None:
            raise KeyUnavailable(f"signing key {row.times.kid} is retired")
        if row.encrypted and not self._passphrase:
            raise KeyUnavailable("the signing keys are encrypted: set SIGNING_KEY_PASSPHRASE")
        parameters: Any = {"kid": row.times.kid, "use": "sig", "alg": ALGORITHM}
        try:
            key = ECKey.import_key(
                row.private_pem,
                parameters=parameters,
                password=self._passphrase if row.encrypted else None,
            )
        except (ValueError, TypeError) as error:
            raise KeyUnavailable(f"signing key {row.times.kid} cannot be read: {error}") from error
        self._loaded[row.times.kid] = key
        return key

    def _forget_retired(self, rows: list[store.KeyRow]) -> None:
        """Drop decrypted keys the database no longer holds a private half of (another replica
        retired them)."""
        for kid in set(self._loaded) - {row.times.kid for row in rows}:
            del self._loaded[kid]

    async def _create(self, session: AsyncSession, times: KeyTimes, now: datetime) -> ECKey:
        key = generate_signing_key(times.kid)
        await store.insert_key(
            session,
            times=times,
            private_pem=self._encode(key),
            encrypted=bool(self._passphrase),
            public_jwk=public_jwk(key),
            now=now,
        )
        return key

    async def signing(self, uow: UnitOfWork, now: datetime | None = None) -> ECKey:
        """The key that signs now; the first one is created and committed."""
        now = now or datetime.now(UTC)
        session = uow.session
        rows = await store.keys(session)
        self._forget_retired(rows)
        found = signing_key([r.times for r in rows], now)
        if found is None:
            await store.lock_keys(session)
            rows = await store.keys(session)
            found = signing_key([r.times for r in rows], now)
            if found is None:
                times = KeyTimes(_new_kid(), signs_from=now)
                key = await self._create(session, times, now)
                act = Act(REGISTRY, "signing_key.created", times.kid, _times(times))
                await append(session, [act])
                await uow.commit()
                self._on_change()
                return key
            await uow.commit()
        return self._decode(next(r for r in rows if r.times.kid == found.kid))

    async def rotate(
        self,
        uow: UnitOfWork,
        *,
        by: Actor,
        token_lifetime_s: int,
        margin_s: int,
        publish_ahead_s: int = 0,
        now: datetime | None = None,
    ) -> RotationView:
        """A new signing key; the old ones stay published until their tokens expired. Commits."""
        now = now or datetime.now(UTC)
        session = uow.session
        await store.lock_keys(session)
        rows = await store.keys(session)
        rotation = rotate(
            [r.times for r in rows],
            _new_kid(),
            now,
            token_lifetime_s=token_lifetime_s,
            margin_s=margin_s,
            publish_ahead_s=publish_ahead_s,
        )
        for times in [*rotation.superseded, *rotation.retired]:
            await store.update_key_times(session, times)
        await self._create(session, rotation.new_key, now)
        change = {
            "new_key": _times(rotation.new_key),
            "superseded": [_times(t) for t in rotation.superseded],
            "retired": [t.kid for t in rotation.retired],
        }
        await append(session, [Act(by, "signing_key.rotated", rotation.new_key.kid, change)])
        await uow.commit()
        self._on_change()
        for times in rotation.retired:
            self._loaded.pop(times.kid, None)
        return RotationView(
            rotation.new_key.kid,
            rotation.new_key.signs_from,
            rotation.superseded,
            [t.kid for t in rotation.retired],
        )

    async def retire_expired(self, uow: UnitOfWork, now: datetime | None = None) -> list[str]:
        """Erase the private half of keys no valid token can name any more. Commits."""
        now = now or datetime.now(UTC)
        await store.lock_keys(uow.session)
        retired = due_for_retirement([r.times for r in await store.keys(uow.session)], now)
        for times in retired:
            await store.update_key_times(uow.session, times)
            self._loaded.pop(times.kid, None)
        acts = [Act(SCHEDULER, "signing_key.retired", t.kid, _times(t)) for t in retired]
        await append(uow.session, acts)
        await uow.commit()
        if retired:
            self._on_change()
        return [t.kid for t in retired]


async def public_key_set(session: AsyncSession, now: datetime | None = None) -> dict[str, Any]:
    """Every key that is not yet retired, including one published ahead of signing."""
    now = now or datetime.now(UTC)
    rows = await store.keys(session)
    published = {t.kid for t in published_keys([r.times for r in rows], now)}
    return {"keys": [r.public_jwk for r in rows if r.times.kid in published]}


def _times(times: KeyTimes) -> dict[str, Any]:
    return asdict(times)


def _new_kid() -> str:
    return uuid.uuid4().hex
