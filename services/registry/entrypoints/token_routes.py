"""Tokens (OAuth2 client credentials), the public key set, and the signing keys."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal
from urllib.parse import unquote

from fastapi import APIRouter, Form, Header
from fastapi.responses import JSONResponse

from services.registry.adapters import credential_store as store
from services.registry.entrypoints.dependencies import PlatformAdmin, RegistryDep
from services.registry.entrypoints.schemas import Jwks, KeyOut, RotateIn, RotationOut, TokenOut
from services.registry.handlers import credentials
from services.registry.handlers.keys import public_key_set
from shared.audit.entries import Actor
from shared.web.problems import Problem

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _invalid_client(detail: str) -> Problem:
    return Problem(
        401,
        detail,
        title="Unauthorized",
        headers={"WWW-Authenticate": 'Basic realm="jointcredit"', **NO_STORE},
        error="invalid_client",
    )


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise _invalid_client("the Basic credentials are not base64 of client_id:secret") from error
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise _invalid_client("the Basic credentials are not base64 of client_id:secret")
    return unquote(client_id), unquote(secret)


@router.post(
    "/v1/token",
    response_model=TokenOut,
    tags=["credentials"],
    summary="OAuth2 client credentials: a department token signed ES256",
    description=(
        "Form `grant_type=client_credentials&client_id=..&client_secret=..`, or the client id "
        "and secret as HTTP Basic credentials. The token carries the client's department "
        "(`dept`) and roles."
    ),
    responses={401: {"description": "unknown client or wrong secret (`error: invalid_client`)"}},
)
async def token(
    registry: RegistryDep,
    grant_type: Annotated[Literal["client_credentials"], Form()],
    client_id: Annotated[str | None, Form(max_length=200)] = None,
    client_secret: Annotated[str | None, Form(max_length=500)] = None,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> JSONResponse:
    basic = _basic_credentials(authorization)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise _invalid_client("client_id and client_secret are needed (form fields or Basic)")
    async with registry.runtime.unit_of_work() as uow:
        client = await credentials.authenticate(uow.session, client_id, client_secret)
        if client is None:
            raise _invalid_client("client authentication failed: unknown client or wrong secret")
        access_token, expires_in = await credentials.issue_token(
            uow, registry.keys, client, registry.settings.token_lifetime_s
        )
    body = TokenOut(access_token=access_token, expires_in=expires_in)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.get(
    "/.well-known/jwks.json",
    response_model=Jwks,
    tags=["credentials"],
    summary="The public keys that verify department tokens (every key not yet retired)",
)
async def jwks(registry: RegistryDep) -> JSONResponse:
    async with registry.runtime.sessions() as session:
        document = await public_key_set(session)
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=60"})


@router.get(
    "/v1/keys",
    response_model=list[KeyOut],
    tags=["credentials"],
    summary="Signing keys that are not retired, and when each signs and retires",
)
async def list_keys(registry: RegistryDep, admin: PlatformAdmin) -> list[KeyOut]:
    async with registry.runtime.sessions() as session:
        rows = await store.keys(session)
    return [
        KeyOut(
            kid=r.times.kid,
            signs_from=r.times.signs_from,
            signs_until=r.times.signs_until,
            retire_after=r.times.retire_after,
        )
        for r in rows
    ]


@router.post(
    "/v1/keys/rotate",
    response_model=RotationOut,
    tags=["credentials"],
    summary="Rotate the signing key without downtime",
    description=(
        "A new key signs from now (or after `publish_ahead_s`) and is published at once; the "
        "keys it supersedes stay in the JWKS until every token they signed has expired "
        "(`retire_after`), then are retired."
    ),
)
async def rotate_keys(
    registry: RegistryDep, admin: PlatformAdmin, body: RotateIn | None = None
) -> RotationOut:
    settings = registry.settings
    async with registry.runtime.unit_of_work() as uow:
        rotation = await registry.keys.rotate(
            uow,
            by=Actor.of(admin),
            token_lifetime_s=settings.token_lifetime_s,
            margin_s=settings.key_retirement_margin_s,
            publish_ahead_s=body.publish_ahead_s if body else 0,
        )
    return RotationOut(
        kid=rotation.kid,
        signs_from=rotation.signs_from,
        superseded=[
            KeyOut(
                kid=t.kid,
                signs_from=t.signs_from,
                signs_until=t.signs_until,
                retire_after=t.retire_after,
            )
            for t in rotation.superseded
        ],
        retired=rotation.retired,
    )
