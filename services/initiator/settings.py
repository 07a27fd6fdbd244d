"""Settings of the initiator service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from shared.auth.id_tokens import IdentityProvider
from shared.settings import ServiceSettings
from shared.web.rate_limits import check_limits


class InitiatorSettings(ServiceSettings):
    service_name: str = "initiator"
    database_name: str | None = "initiator"
    consumer_group: str = Field(
        "initiator", description="consumer group of the catalogue and re-publish request consumer"
    )
    publication_workdays: int = Field(
        7,
        ge=0,
        description="working days from a decision to its publication (公示): seeds 000 §17, "
        "001 §二(五)2(1) and 004 §三2 all say 7个工作日",
    )
    objection_answer_workdays: int = Field(
        5,
        ge=1,
        description="working days the initiating department has to answer an objection (异议); "
        "the seeds say only 在规定时间内 (001 §二(三)3), so this is the operator's figure",
    )
    repair_answer_workdays: int = Field(
        5, ge=1, description="working days to decide a credit repair (信用修复) application"
    )
    expiry_interval_s: float = Field(
        30.0, gt=0, description="how often the scheduler looks for designations past period end"
    )
    expiry_batch_size: int = Field(500, ge=1, description="designations expired per transaction")
    import_batch_size: int = Field(1000, ge=1, description="import rows per transaction")
    import_max_bytes: int = Field(
        2 * 1024**3, ge=1, description="largest accepted import file (bytes)"
    )
    import_spool_dir: Path | None = Field(
        None, description="where uploads are kept while imported (default: the system temp dir)"
    )
    import_stale_after_s: float = Field(
        120.0, gt=0, description="an import without progress this long is marked interrupted"
    )
    republish_batch_size: int = Field(1000, ge=1, description="designations per re-publish batch")
    republish_poll_interval_s: float = Field(
        1.0, gt=0, description="fallback poll of pending re-publish requests"
    )
    catalogue_fetch_interval_s: float = Field(
        5.0, gt=0, description="retry interval while no catalogue is held (GET REGISTRY_URL)"
    )
    catalogue_refresh_interval_s: float = Field(
        300.0, gt=0, description="how often the registry is asked for a newer catalogue"
    )
    idempotency_retention_hours: float = Field(
        72.0, gt=0, description="how long Idempotency-Key answers are replayed"
    )
    subject_idp_issuer: str = Field(
        "http://127.0.0.1:8020",
        description="the OpenID Connect identity provider whose ID tokens prove who a subject is "
        "(its `iss`); `jointcredit up` points it at the development IdP",
    )
    subject_idp_audience: str = Field(
        "jointcredit-initiator", description="the `aud` ID tokens must carry: this service"
    )
    subject_idp_jwks_url: str | None = Field(
        None,
        description="the identity provider's JWKS (http(s):// or file://); "
        "default: SUBJECT_IDP_ISSUER/.well-known/jwks.json",
    )
    subject_idp_credit_code_claim: str = Field(
        "uscc", description="ID token claim holding an organisation's 统一社会信用代码"
    )
    subject_idp_person_id_claim: str = Field(
        "id_card_number", description="ID token claim holding a person's 居民身份证号码"
    )
    subject_idp_acting_person_claim: str = Field(
        "acting_person_id",
        description="ID token claim holding the 居民身份证号码 of the person acting for an "
        "organisation (经办人)",
    )
    public_rate_limit: str = Field(
        "120/minute",
        description="calls per client address to each /v1/public route (429 above; `limits` "
        "notation, e.g. `10/second;300/hour`; empty: none); counted in memory per process",
    )
    client_rate_limit: str = Field(
        "100/second;3000/minute",
        description="calls per department client (the token's client id) to the authenticated "
        "routes (429 above; empty: none); counted in memory per process",
    )

    _limits = field_validator("public_rate_limit", "client_rate_limit")(check_limits)

    @property
    def identity_provider(self) -> IdentityProvider:
        return IdentityProvider(
            issuer=self.subject_idp_issuer,
            audience=self.subject_idp_audience,
            credit_code_claim=self.subject_idp_credit_code_claim,
            person_id_claim=self.subject_idp_person_id_claim,
            acting_person_claim=self.subject_idp_acting_person_claim,
        )

    @property
    def subject_jwks_url(self) -> str:
        issuer = self.subject_idp_issuer.rstrip("/")
        return self.subject_idp_jwks_url or f"{issuer}/.well-known/jwks.json"
