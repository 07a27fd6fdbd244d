"""Settings of the registry service."""

from __future__ import annotations

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    database_name: str | None = "registry"
