"""The one place that wires the registry service's dependencies."""

from __future__ import annotations

from services.registry.settings import RegistrySettings
from shared.runtime import Runtime


def bootstrap(settings: RegistrySettings | None = None) -> Runtime:
    return Runtime.create(settings or RegistrySettings.load())
