"""Settings of the initiator service."""

from __future__ import annotations

from shared.settings import ServiceSettings


class InitiatorSettings(ServiceSettings):
    service_name: str = "initiator"
    database_name: str | None = "initiator"
