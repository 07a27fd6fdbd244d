"""The platform's services as the operator CLI knows them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from shared.settings import ServiceSettings

SERVICES_DIR = Path(__file__).resolve().parents[1] / "services"


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    settings_class: str

    @property
    def migrations_dir(self) -> Path:
        return SERVICES_DIR / self.name / "adapters" / "migrations"

    @property
    def app_factory(self) -> str:
        return f"services.{self.name}.entrypoints.app:create"

    def load_settings(self, **overrides: object) -> ServiceSettings:
        module = import_module(f"services.{self.name}.settings")
        settings_type: type[ServiceSettings] = getattr(module, self.settings_class)
        return settings_type.load(**overrides)


SERVICES: dict[str, ServiceEntry] = {
    entry.name: entry
    for entry in (
        ServiceEntry("registry", "RegistrySettings"),
        ServiceEntry("initiator", "InitiatorSettings"),
        ServiceEntry("responder", "ResponderSettings"),
        ServiceEntry("feedback", "FeedbackSettings"),
    )
}

DEMO_RESPONDERS = ("court", "market", "finance")
