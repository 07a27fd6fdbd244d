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
