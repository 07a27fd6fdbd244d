"""The OpenAPI document of every service, written into docs/openapi/ for readers of the repo.

Each running service also serves its own at `/openapi.json` and `/docs`; the files here let a
departmental system's developers read the contract without running anything, and a test keeps
them equal to what the code serves.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import Any

from jointcredit.service_index import SERVICES

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs" / "openapi"

_OFFLINE = {
    "database_url": "postgresql://jointcredit@localhost:5432/jointcredit",
    "kafka_bootstrap_servers": "localhost:9092",
    "registry_url": "http://registry:8000",
}


def document(service: str) -> dict[str, Any]:
    """The service's OpenAPI document, built without connecting to anything."""
    entry = SERVICES[service]
    overrides: dict[str, object] = dict(_OFFLINE)
    if service == "responder":
        overrides["department_code"] = "court"
    settings_module = import_module(f"services.{service}.settings")
    settings_type = getattr(settings_module, entry.settings_class)
    settings = settings_type.model_validate(overrides)
    module_name, factory = entry.app_factory.split(":")
    app = getattr(import_module(module_name), factory)(settings)
    openapi: dict[str, Any] = app.openapi()
    return openapi


def rendered(service: str) -> str:
    return json.dumps(document(service), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_all(directory: Path = DOCS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for service in SERVICES:
        path = directory / f"{service}.json"
        path.write_text(rendered(service), encoding="utf-8")
        written.append(path)
    return written
