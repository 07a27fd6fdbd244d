"""Settings of the development identity provider (environment variables, `DEVIDP_` first)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DevIdpSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="the dev IdP refuses to start in production"
    )
    devidp_issuer: str = Field(
        "http://127.0.0.1:8020",
        description="its `iss` and base URL (the initiator's SUBJECT_IDP_ISSUER must equal it)",
    )
    devidp_audience: str = Field(
        "jointcredit-initiator", description="the `aud` of tokens that ask for none"
    )
    devidp_token_lifetime_s: int = Field(600, ge=1, description="lifetime of issued ID tokens")


class ProductionRefused(RuntimeError):
    """The development IdP issues tokens to anyone who asks: never in production."""


def require_not_production(settings: DevIdpSettings) -> None:
    if settings.environment == "production":
        raise ProductionRefused(
            "the development identity provider issues ID tokens without any login; it does not "
            "run with ENVIRONMENT=production (configure the real IdP: SUBJECT_IDP_ISSUER, …)"
        )
