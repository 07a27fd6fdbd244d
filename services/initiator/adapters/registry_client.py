"""Reading the published catalogue from the registry's public REST API."""

from __future__ import annotations

from typing import Any

import httpx


class RegistryUnavailable(RuntimeError):
    """The registry did not give a catalogue document."""


async def fetch_catalogue(
    registry_url: str, version: int | None = None, timeout_s: float = 10.0
) -> dict[str, Any]:
    """`GET /v1/catalogue` (the current version) or `/v1/catalogue/versions/{n}`."""
    base = registry_url.rstrip("/")
    url = f"{base}/v1/catalogue" if version is None else f"{base}/v1/catalogue/versions/{version}"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(url)
            response.raise_for_status()
            document = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise RegistryUnavailable(f"cannot read the catalogue at {url}: {error!r}") from error
    if not isinstance(document, dict) or not isinstance(document.get("version"), int):
        raise RegistryUnavailable(f"{url} did not answer with a catalogue document")
    return document
