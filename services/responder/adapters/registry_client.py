"""Reading the published catalogue from the registry (a public document)."""

from __future__ import annotations

import asyncio
import logging

import httpx

from services.responder.settings import ResponderSettings
from shared.catalogue import Catalogue

log = logging.getLogger(__name__)


class CatalogueUnavailable(RuntimeError):
    """The registry did not answer with a catalogue; the caller retries later."""


async def fetch_catalogue(settings: ResponderSettings) -> Catalogue:
    """`GET {registry_url}/v1/catalogue`, a few attempts with a short backoff."""
    url = f"{settings.registry_url.rstrip('/')}/v1/catalogue"
    delay = 0.2
    error: Exception | None = None
    for attempt in range(settings.catalogue_fetch_attempts):
        if attempt:
            await asyncio.sleep(delay)
            delay *= 2
        try:
            async with httpx.AsyncClient(timeout=settings.catalogue_fetch_timeout_s) as client:
                response = await client.get(url)
                response.raise_for_status()
                document = response.json()
            return Catalogue.from_document(document, int(document["version"]))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as failure:
            error = failure
    log.warning("registry catalogue unavailable", extra={"url": url, "error": repr(error)})
    raise CatalogueUnavailable(f"cannot read the catalogue at {url}: {error!r}")
