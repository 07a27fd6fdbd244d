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

    @model_validator(mode="after")
    def _own_database(self) -> Self:
        if self.database_name is None:
            self.database_name = f"responder_{self.department_code}"
        if self.service_name == "responder":
            self.service_name = f"responder-{self.department_code}"
        return self
