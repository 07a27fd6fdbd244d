"""Settings of the continuous reconciliation, read like every service's (environment first)."""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.infra_file import infra_env_file


class ReconcileSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8")

    reconcile_interval_s: float = Field(
        300.0,
        ge=0,
        description="how often feedback and each responder compare digests with the "
        "initiator's (0: never)",
    )
    reconcile_grace_s: float = Field(
        120.0,
        ge=0,
        description="a designation changed at the initiator this recently is not asked for "
        "yet: its event may still be on its way",
    )
    reconcile_answer_timeout_s: float = Field(
        30.0, gt=0, description="how long a round waits for each of the initiator's answers"
    )

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        path = infra_env_file()
        return cls(_env_file=path if path.exists() else None, **overrides)
