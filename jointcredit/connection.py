"""Where the operator commands find the services and a credential.

Options and environment variables first; otherwise the platform `jointcredit up` is running
recorded its URLs and demo clients in `.jointcredit/platform.json` (readable by its owner only).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jointcredit.demo.client import Credential, PlatformClient
from jointcredit.infra.state import state_dir


class NotConnected(RuntimeError):
    """Neither options nor a running platform say where a service is."""


def platform_file() -> Path:
    return state_dir() / "platform.json"


def record_platform(urls: dict[str, str], credentials: dict[str, Credential]) -> Path:
    path = platform_file()
    path.write_text(
        json.dumps(
            {"urls": urls, "credentials": {k: asdict(v) for k, v in credentials.items()}},
            ensure_ascii=False,
            indent=2,
        ),
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return path


def forget_platform() -> None:
    platform_file().unlink(missing_ok=True)


def _recorded() -> dict[str, Any]:
    path = platform_file()
    if not path.exists():
        return {}
    recorded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return recorded


def connect(
    service: str,
    url: str | None,
    registry_url: str | None,
    client_id: str | None,
    client_secret: str | None,
    default_client: str,
) -> tuple[PlatformClient, str, str]:
    """A client, the service's URL, and the credential name to call it as."""
    recorded = _recorded()
    urls: dict[str, str] = recorded.get("urls", {})
    service_url = url or urls.get(service)
    registry = registry_url or urls.get("registry")
    if not service_url or not registry:
        raise NotConnected(
            f"where is the {service}? pass --{service}-url and --registry-url (or set "
            f"{service.upper()}_URL and REGISTRY_URL), or start the platform with `jointcredit up`"
        )
    credentials = {
        name: Credential(**value) for name, value in recorded.get("credentials", {}).items()
    }
    name = default_client
    if client_id and client_secret:
        name = "given"
        credentials[name] = Credential("", [], client_id, client_secret)
    elif name not in credentials:
        raise NotConnected(
            "no credential: pass --client-id and --client-secret (JOINTCREDIT_CLIENT_ID, "
            "JOINTCREDIT_CLIENT_SECRET), issued by `jointcredit credentials issue`"
        )
    return PlatformClient(registry, credentials), service_url.rstrip("/"), name
