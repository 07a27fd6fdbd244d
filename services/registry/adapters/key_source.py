"""The registry verifies its own tokens from its own database, not over HTTP."""

from __future__ import annotations

import asyncio
import time

from joserfc.jwk import KeySet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.registry.handlers.keys import public_key_set
from shared.auth.jwks import JwksUnavailable


class DatabaseKeySource:
    """The published keys, re-read after `ttl_s`, at once after this process changed them, or at
    most every `min_refresh_s` when a token names a key id not held (a rotation by another
    registry process)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        ttl_s: float = 5.0,
        min_refresh_s: float = 0.2,
    ) -> None:
        self._sessions = sessions
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self._keys: KeySet | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Read the keys again on next use (this process created or rotated one)."""
        self._read_at = float("-inf")

    async def keys(self, *, refresh: bool = False) -> KeySet:
        age = time.monotonic() - self._read_at
        if (
            self._keys is not None
            and age < self.ttl_s
            and not (refresh and age >= self.min_refresh_s)
        ):
            return self._keys
        async with self._lock:
            age = time.monotonic() - self._read_at
            if self._keys is not None and age < min(self.min_refresh_s, self.ttl_s):
                return self._keys
            try:
                async with self._sessions() as session:
                    document = await public_key_set(session)
            except Exception as error:
                if self._keys is None:
                    raise JwksUnavailable(f"the registry's keys cannot be read: {error}") from error
                return self._keys
            published = document["keys"]
            self._keys = KeySet.import_key_set(document) if published else KeySet([])  # type: ignore[arg-type]
            self._read_at = time.monotonic()
            return self._keys
