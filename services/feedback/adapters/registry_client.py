"""Reading the published catalogue from the registry (a public endpoint)."""

from __future__ import annotations

from typing import Any

import httpx

from shared.catalogue import Catalogue


class RegistryUnavailable(RuntimeError):
    """The registry could not give its catalogue now; the caller retries later."""


async def fetch_catalogue(registry_url: str, timeout_s: float = 5.0) -> Catalogue:
    """`GET {registry_url}/v1/catalogue`: the current published catalogue as one document."""
    url = f"{registry_url.rstrip('/')}/v1/catalogue"
    try:
        async with httpx.AsyncClient(timeout=timeout_s) as client:
            response = await client.get(url)
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        return Catalogue.from_document(document, int(document["version"]))
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        raise RegistryUnavailable(f"cannot read the catalogue at {url}: {error!r}") from error
