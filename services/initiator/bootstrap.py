"""The one place that wires the initiator service's dependencies."""

from __future__ import annotations

from services.initiator.settings import InitiatorSettings
from shared.runtime import Runtime


def bootstrap(settings: InitiatorSettings | None = None) -> Runtime:
    return Runtime.create(settings or InitiatorSettings.load())
