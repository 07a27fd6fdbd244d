"""Where a service gets the registry's public keys: fetched once, cached, refreshed on rotation."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import orjson
from joserfc.jwk import KeySet


class KeySource(Protocol):
    async def keys(self, *, refresh: bool = False) -> KeySet:
        """The current public key set; `refresh` asks for a re-read (a token named a new kid)."""
        ...


class JwksUnavailable(RuntimeError):
    """The key set cannot be read right now (the registry is down and nothing is cached)."""


class CachedJwks:
    """A JWKS from `http(s)://` or `file://`, cached for `ttl_s`.

    A refresh forced by an unknown key id happens at most every `min_refresh_s`, so a flood of
    forged tokens cannot turn into a flood of requests to the registry. When the registry does
    not answer, the last key set keeps being used.
    """

    def __init__(self, url: str, *, ttl_s: float = 300.0, min_refresh_s: float = 5.0) -> None:
        self.url = url
        self.ttl_s = ttl_s
        self.min_refresh_s = min_refresh_s
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def keys(self, *, refresh: bool = False) -> KeySet:
        now = time.monotonic()
        stale = self._keys is None or now - self._fetched_at > self.ttl_s
        forced = refresh and now - self._fetched_at > self.min_refresh_s
        if not (stale or forced):
            assert self._keys is not None
            return self._keys
        async with self._lock:
            if self._keys is not None and time.monotonic() - self._fetched_at < self.min_refresh_s:
                return self._keys
            try:
                self._keys = KeySet.import_key_set(await self._read())
                self._fetched_at = time.monotonic()
            except Exception as error:
                if self._keys is None:
                    raise JwksUnavailable(
                        f"cannot read the key set at {self.url}: {error}"
                    ) from error
            return self._keys

    async def _read(self) -> Any:
        parts = urlsplit(self.url)
        if parts.scheme == "file":
            data = await asyncio.to_thread(Path(parts.path).read_bytes)
        else:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                data = response.content
        parsed = orjson.loads(data)
        if not isinstance(parsed, dict) or not isinstance(parsed.get("keys"), list):
            raise ValueError("not a JWKS document (no 'keys' list)")
        return parsed
