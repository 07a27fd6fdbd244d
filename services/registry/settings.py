"""Settings of the registry service."""

from __future__ import annotations

from pydantic import Field, SecretStr

from shared.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    service_name: str = "registry"
    database_name: str | None = "registry"
    token_lifetime_s: int = Field(3600, ge=1, description="lifetime of issued access tokens")
    key_retirement_margin_s: int = Field(
        60,
        ge=0,
        description="a superseded signing key stays in the JWKS this long after the last token "
        "it signed expired; at least the verifiers' clock leeway (30 s)",
    )
    key_cache_s: float = Field(
        5.0, description="how long the registry caches its own public keys for verification"
    )
    signing_key_passphrase: SecretStr | None = Field(
        None,
        description="when set, private signing keys are stored encrypted with it (PKCS#8); "
        "recommended in production",
    )
    import_max_bytes: int = Field(5 * 2**20, description="largest catalogue file accepted")
