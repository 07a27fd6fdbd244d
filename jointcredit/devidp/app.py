"""The development IdP's HTTP application: discovery, its JWKS, and a token endpoint."""

from __future__ import annotations

from typing import Any, Literal, Self

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field, model_validator

from jointcredit.devidp.settings import DevIdpSettings, require_not_production
from shared.auth.id_tokens import IdentityProvider, id_token_claims, sign_id_token
from shared.auth.tokens import generate_signing_key, public_jwk
from shared.identifiers import IdentifierError, validate_credit_code, validate_resident_id
from shared.web.openapi import install_problem_openapi
from shared.web.problems import install_problem_handlers

JWKS_PATH = "/.well-known/jwks.json"


class IdTokenRequest(BaseModel):
    """Whom the ID token vouches for: an organisation and its acting person, or a person."""

    model_config = ConfigDict(extra="forbid")

    subject_kind: Literal["organisation", "person"]
    subject_id: str = Field(description="统一社会信用代码 or 居民身份证号码")
    acting_person_id: str | None = Field(
        None, description="居民身份证号码 of the person acting for an organisation (required there)"
    )
    audience: str | None = Field(None, max_length=200, description="default: DEVIDP_AUDIENCE")

    @model_validator(mode="after")
    def _identifiers(self) -> Self:
        try:
            if self.subject_kind == "organisation":
                self.subject_id = validate_credit_code(self.subject_id)
                if self.acting_person_id is None:
                    raise ValueError("an organisation's token names its acting person")
                self.acting_person_id = validate_resident_id(self.acting_person_id)
            else:
                self.subject_id = validate_resident_id(self.subject_id)
                self.acting_person_id = None
        except IdentifierError as error:
            raise ValueError(str(error)) from error
        return self


class IdTokenOut(BaseModel):
    id_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int


def create(settings: DevIdpSettings | None = None) -> FastAPI:
    settings = settings or DevIdpSettings()
    require_not_production(settings)
    key = generate_signing_key()
    issuer = settings.devidp_issuer.rstrip("/")
    app = FastAPI(
        title="jointcredit development identity provider",
        description="ID tokens for any subject without a login: development and tests only.",
        version="1.0.0",
    )
    install_problem_handlers(app)
    install_problem_openapi(app)

    @app.get("/.well-known/openid-configuration", summary="OpenID Connect discovery")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}{JWKS_PATH}",
            "token_endpoint": f"{issuer}/token",
            "id_token_signing_alg_values_supported": ["ES256"],
            "subject_types_supported": ["public"],
            "response_types_supported": ["id_token"],
        }

    @app.get(JWKS_PATH, summary="The public key its ID tokens are signed with")
    async def jwks() -> dict[str, Any]:
        return {"keys": [public_jwk(key)]}

    @app.post(
        "/token",
        response_model=IdTokenOut,
        summary="An ID token for the subject and acting person named (no login: development)",
        responses={422: {"description": "invalid identifiers"}},
    )
    async def token(body: IdTokenRequest) -> IdTokenOut:
        provider = IdentityProvider(issuer, body.audience or settings.devidp_audience)
        claims = id_token_claims(
            provider,
            kind=body.subject_kind,
            subject_id=body.subject_id,
            acting_person_id=body.acting_person_id,
            lifetime_s=settings.devidp_token_lifetime_s,
        )
        return IdTokenOut(
            id_token=sign_id_token(key, claims), expires_in=settings.devidp_token_lifetime_s
        )

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "devidp"}

    @app.get("/readyz", summary="Readiness: it holds its key from the start")
    async def readyz() -> dict[str, str]:
        return {"status": "ready"}

    return app


def serve(host: str, port: int) -> None:
    """In the foreground until SIGTERM/SIGINT (it holds nothing worth a graceful drain)."""
    import uvicorn

    uvicorn.run(
        "jointcredit.devidp.app:create",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
    )
