"""Where one platform instance keeps its data: database names and topic prefix per namespace.

Several platform instances (the demo, a test run, a second demo) share one PostgreSQL server
and one broker without seeing each other: each has its own databases and topic prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from jointcredit.service_index import SERVICES
from shared.settings import ServiceSettings

CORE_SERVICES = ("registry", "initiator", "feedback")


@dataclass(frozen=True)
class Layout:
    namespace: str
    responders: tuple[str, ...]
    run_id: str = ""

    @property
    def topic_prefix(self) -> str:
        return f"{self.namespace}{self.run_id}." if self.namespace else ""

    def database(self, service: str, department: str | None = None) -> str:
        base = f"responder_{department}" if service == "responder" else service
        return f"{self.namespace}_{base}" if self.namespace else base

    def env(self, service: str, department: str | None = None) -> dict[str, str]:
        values = {
            "DATABASE_NAME": self.database(service, department),
            "TOPIC_PREFIX": self.topic_prefix,
        }
        if department:
            values["DEPARTMENT_CODE"] = department
        return values

    def settings(self, service: str, department: str | None = None) -> ServiceSettings:
        overrides: dict[str, object] = {
            "database_name": self.database(service, department),
            "topic_prefix": self.topic_prefix,
        }
        if department:
            overrides["department_code"] = department
        return SERVICES[service].load_settings(**overrides)

    def all_settings(self) -> list[tuple[str, ServiceSettings]]:
        found = [(name, self.settings(name)) for name in CORE_SERVICES]
        found += [(f"responder-{d}", self.settings("responder", d)) for d in self.responders]
        return found
