"""Settings of one responder deployment: its department comes from the environment."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from shared.settings import ServiceSettings


class ResponderSettings(ServiceSettings):
    service_name: str = "responder"
    department_code: str = Field(
        pattern=r"^[a-z][a-z0-9_]{1,39}$", description="the department this deployment serves"
    )
    catalogue_fetch_timeout_s: float = Field(
        5.0, description="timeout of one read of the catalogue from the registry"
    )
    catalogue_fetch_attempts: int = Field(
        3, ge=1, description="reads of the registry's catalogue before a catalogue event is retried"
    )
    index_load_batch: int = Field(
        10_000, ge=100, description="rows fetched per round trip when the check index loads"
    )
    index_poll_interval_s: float = Field(
        1.0,
        gt=0,
        description="how often the check index reads its change feed when no commit woke it",
    )
    index_feed_batch: int = Field(
        1_000, ge=1, description="changes of the feed applied to the check index per round"
    )
    index_feed_retention_hours: float = Field(
        24.0,
        gt=0,
        description="changes kept in the feed; a replica further behind loads the index anew",
    )

    @model_validator(mode="after")
    def _own_database(self) -> Self:
        if self.database_name is None:
            self.database_name = f"responder_{self.department_code}"
        if self.service_name == "responder":
            self.service_name = f"responder-{self.department_code}"
        return self

    @property
    def designations_group(self) -> str:
        """Consumer group (and inbox name) of designation events: `responder-<dept>`."""
        return f"{self.topic_prefix}responder-{self.department_code}"

    @property
    def catalogue_group(self) -> str:
        """Consumer group (and inbox name) of catalogue events."""
        return f"{self.topic_prefix}responder-{self.department_code}.catalogue"

    @property
    def receipt_source(self) -> str:
        """The CloudEvent `source` of this department's receipts."""
        return f"responder/{self.department_code}"
