"""Catalogue version events the registry publishes (docs/asyncapi.yaml contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CATALOGUE_VERSION_PUBLISHED = "catalogue.version.published.v1"
WHOLE_CATALOGUE_KEY = "catalogue"


class CatalogueChange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    entity: Literal["department", "memorandum", "measure"]
    action: Literal["added", "changed", "removed"]
    code: str
    memorandum_code: str | None = None
    value: dict[str, Any] | None = Field(None, description="full record after; absent if removed")


class CatalogueVersionPublished(BaseModel):
    """Version N's changes against N-1; version 1 adds everything."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int = Field(ge=1)
    published_at: datetime | None = None
    changes: tuple[CatalogueChange, ...]


def whole_catalogue_version(
    document: dict[str, Any], version: int = 1
) -> CatalogueVersionPublished:
    """A version that adds every entity of a catalogue document (the seed's first version)."""
    changes: list[CatalogueChange] = []
    for entity, key in (("department", "departments"), ("memorandum", "memoranda")):
        changes += [
            CatalogueChange(entity=entity, action="added", code=item["code"], value=item)
            for item in document.get(key, ())
        ]
    changes += [
        CatalogueChange(
            entity="measure",
            action="added",
            code=item["code"],
            memorandum_code=item.get("memorandum"),
            value=item,
        )
        for item in document.get("measures", ())
    ]
    return CatalogueVersionPublished(version=version, changes=tuple(changes))
