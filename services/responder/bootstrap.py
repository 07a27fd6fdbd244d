"""The one place that wires the responder service's dependencies."""

from __future__ import annotations

from services.responder.settings import ResponderSettings
from shared.runtime import Runtime


def bootstrap(settings: ResponderSettings | None = None) -> Runtime:
    return Runtime.create(settings or ResponderSettings.load())
