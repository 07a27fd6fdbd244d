"""The one place that wires the registry service's dependencies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from services.registry.adapters.key_source import DatabaseKeySource
from services.registry.handlers.catalogue import CatalogueReader
from services.registry.handlers.key_retirement import retire_keys
from services.registry.handlers.keys import SigningKeys
from services.registry.settings import RegistrySettings
from shared.runtime import Runtime
from shared.topics import Topic


@dataclass
class Registry:
    """What the registry's routes and commands use: the runtime, caches and settings."""

    runtime: Runtime
    settings: RegistrySettings
    catalogue: CatalogueReader
    keys: SigningKeys
    key_source: DatabaseKeySource

    @property
    def catalogue_topic(self) -> str:
        return self.settings.topic(Topic.CATALOGUE)

    async def retire_keys(self, stop: asyncio.Event) -> None:
        """Worker: erase the private half of keys past their retirement, every minute."""
        await retire_keys(self.runtime, self.keys, stop)


def bootstrap(settings: RegistrySettings | None = None) -> Runtime:
    return Runtime.create(settings or RegistrySettings.load())


def wire(settings: RegistrySettings | None = None) -> Registry:
    settings = settings or RegistrySettings.load()
    passphrase = settings.signing_key_passphrase
    runtime = bootstrap(settings)
    key_source = DatabaseKeySource(runtime.sessions, ttl_s=settings.key_cache_s)
    registry = Registry(
        runtime=runtime,
        settings=settings,
        catalogue=CatalogueReader(),
        keys=SigningKeys(
            passphrase.get_secret_value() if passphrase else None, key_source.invalidate
        ),
        key_source=key_source,
    )
    runtime.workers["key-retirement"] = registry.retire_keys
    return registry
