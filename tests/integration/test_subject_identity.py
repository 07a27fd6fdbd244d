"""Subjects prove who they are: ID tokens verified with joserfc, the public filings that need
them, and the development identity provider that issues them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from joserfc.jwk import KeySet

from jointcredit.devidp.app import create as create_devidp
from jointcredit.devidp.settings import DevIdpSettings, ProductionRefused
from shared.auth.id_tokens import IdentityProvider, verify_id_token
from shared.auth.tokens import InvalidToken, UnknownKey, generate_signing_key
from tests.support.auth import TestAuthority, TestIdentityProvider, acting_person
from tests.support.initiator import InitiatorHarness, organisation_id

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority, idp: TestIdentityProvider
) -> AsyncIterator[InitiatorHarness]:
    async with InitiatorHarness(
        database_url, bootstrap, authority, schedule=False, **idp.settings
    ) as harness:
        yield harness


def _keys(idp: TestIdentityProvider) -> KeySet:
    return KeySet.import_key_set({"keys": [idp.key.as_dict(private=False)]})


# -- the ID token itself ------------------------------------------------------------------------


def test_a_good_id_token_names_the_organisation_and_its_acting_person(
    idp: TestIdentityProvider,
) -> None:
    company, clerk = organisation_id(), acting_person()
    identity = verify_id_token(idp.id_token(company, clerk), _keys(idp), idp.provider)
    assert (identity.kind, identity.subject_id, identity.acting_person_id) == (
        "organisation",
        company,
        clerk,
    )
    person = acting_person()
    alone = verify_id_token(idp.id_token(person), _keys(idp), idp.provider)
    assert (alone.kind, alone.subject_id, alone.acting_person_id) == ("person", person, person)


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": -120}, "expired"),
        ({"aud": "another-service"}, "aud"),
        ({"iss": "https://idp.elsewhere"}, "iss"),
        ({"nbf": 600}, "not yet valid"),
        ({"iat": 600}, "issued in the future"),
        ({"omit": ("acting_person_id",)}, "acting person"),
        ({"omit": ("iat",)}, "iat"),
        ({"uscc": "91350100M000100Y44"}, "invalid identifier"),
    ],
)
def test_an_untrustworthy_id_token_is_refused(
    idp: TestIdentityProvider, claims: dict[str, Any], reason: str
) -> None:
    """Times are given as seconds from now and made absolute here, when the test runs (the
    parameters are built at collection, possibly minutes earlier)."""
    now = int(time.time())
    absolute = {k: now + v if k in ("exp", "nbf", "iat") else v for k, v in claims.items()}
    token = idp.id_token(organisation_id(), **absolute)
    with pytest.raises(InvalidToken, match=f"(?i){reason}"):
        verify_id_token(token, _keys(idp), idp.provider)


def test_an_id_token_of_an_unknown_key_is_refused(idp: TestIdentityProvider) -> None:
    forged = idp.id_token(organisation_id(), key=generate_signing_key())
    with pytest.raises(UnknownKey):
        verify_id_token(forged, _keys(idp), idp.provider)


def test_a_department_token_is_not_an_id_token(
    idp: TestIdentityProvider, authority: TestAuthority
) -> None:
    provider = IdentityProvider(idp.issuer, idp.audience)
    keys = KeySet.import_key_set({"keys": [authority.key.as_dict(private=False)]})
    with pytest.raises(InvalidToken):
        verify_id_token(authority.token("court"), keys, provider)


# -- the public filings -------------------------------------------------------------------------


async def _snapshot(initiator: InitiatorHarness, designation_id: str) -> tuple[Any, ...]:
    """The designation's status and version, its history, its objections and repairs."""
    court = initiator.headers("court")
    client = initiator.client
    current = (await client.get(f"/v1/designations/{designation_id}", headers=court)).json()
    history = (await client.get(f"/v1/designations/{designation_id}/history", headers=court)).json()
    params = {"designation_id": designation_id}
    objections = (await client.get("/v1/objections", params=params, headers=court)).json()
    repairs = (await client.get("/v1/repairs", params=params, headers=court)).json()
    return (current["status"], current["version"], history, objections, repairs)


def _objection(designation: dict[str, Any]) -> dict[str, Any]:
    return {
        "designation_id": designation["id"],
        "subject_id": designation["subject"]["id"],
        "grounds": "信息有误",
    }


def _repair(designation: dict[str, Any]) -> dict[str, Any]:
    return {
        "designation_id": designation["id"],
        "subject_id": designation["subject"]["id"],
        "statement": "已履行",
    }


async def test_public_filings_need_the_designated_subjects_id_token(
    initiator: InitiatorHarness, idp: TestIdentityProvider
) -> None:
    designation = await initiator.designate()
    company = designation["subject"]["id"]
    before = await _snapshot(initiator, designation["id"])
    stranger = organisation_id()
    refusals = {
        "anonymous": ({}, 401),
        "garbage": ({"Authorization": "Bearer not-a-jwt"}, 401),
        "expired": (
            {"Authorization": f"Bearer {idp.id_token(company, exp=int(time.time()) - 120)}"},
            401,
        ),
        "another audience": (
            {"Authorization": f"Bearer {idp.id_token(company, aud='jointcredit-registry')}"},
            401,
        ),
        "a department token": (initiator.headers("court"), 401),
        "another subject": (idp.headers(stranger), 403),
    }
    for path, body in (
        ("/v1/public/objections", _objection(designation)),
        ("/v1/public/repairs", _repair(designation)),
    ):
        for case, (headers, status) in refusals.items():
            response = await initiator.client.post(path, json=body, headers=headers)
            assert response.status_code == status, (path, case, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            if status == 401:
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
        claimed_other = await initiator.client.post(
            path, json={**body, "subject_id": stranger}, headers=idp.headers(company)
        )
        assert claimed_other.status_code == 403, claimed_other.text
    assert await _snapshot(initiator, designation["id"]) == before


async def test_the_records_name_the_verified_subject_and_the_acting_person(
    initiator: InitiatorHarness, idp: TestIdentityProvider
) -> None:
    designation = await initiator.designate()
    company, clerk = designation["subject"]["id"], acting_person()
    filed = await initiator.client.post(
        "/v1/public/objections", json=_objection(designation), headers=idp.headers(company, clerk)
    )
    assert filed.status_code == 201, filed.text
    objection = filed.json()
    assert objection["filed_by_kind"] == "subject"
    assert objection["filed_by"]["subject_id"] == company
    assert objection["filed_by"]["acting_person_id"].endswith(clerk[-4:])
    assert clerk not in filed.text  # masked in the public answer
    assert objection["designation"]["status"] == "suspended"
    label = f"organisation {company} by person {clerk}"
    stored = await initiator.scalar(
        "SELECT filed_by_client FROM objections WHERE id = :id", id=objection["id"]
    )
    assert stored == label
    history = (
        await initiator.client.get(
            f"/v1/designations/{designation['id']}/history", headers=initiator.headers("court")
        )
    ).json()
    suspension = history[-1] if isinstance(history, list) else history["items"][-1]
    assert (suspension["action"], suspension["actor_kind"], suspension["actor_client"]) == (
        "suspend",
        "subject",
        label,
    )

    person = await initiator.designate(kind="person")
    repair = await initiator.client.post(
        "/v1/public/repairs", json=_repair(person), headers=idp.headers(person["subject"]["id"])
    )
    assert repair.status_code == 201, repair.text
    assert repair.json()["filed_by"]["kind"] == "person"
    assert repair.json()["status"] == "pending"


async def test_unreadable_idp_keys_are_503_not_401(
    database_url: str, bootstrap: str, authority: TestAuthority, idp: TestIdentityProvider
) -> None:
    missing = Path("/nonexistent/jointcredit/idp-jwks.json").as_uri()
    settings = idp.settings | {"subject_idp_jwks_url": missing}
    async with InitiatorHarness(
        database_url, bootstrap, authority, schedule=False, **settings
    ) as harness:
        designation = await harness.designate()
        response = await harness.client.post(
            "/v1/public/objections",
            json=_objection(designation),
            headers=idp.headers(designation["subject"]["id"]),
        )
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"]
        status = await harness.scalar(
            "SELECT status FROM designations WHERE id = :id", id=designation["id"]
        )
        assert status == "active"


# -- the development identity provider ----------------------------------------------------------


async def test_the_development_idp_issues_id_tokens_the_initiator_trusts() -> None:
    issuer = "http://devidp.test"
    app = create_devidp(DevIdpSettings(environment="test", devidp_issuer=issuer))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=issuer) as client:
        discovery = (await client.get("/.well-known/openid-configuration")).json()
        assert discovery["issuer"] == issuer
        jwks = (await client.get(discovery["jwks_uri"].removeprefix(issuer))).json()
        company, clerk = organisation_id(), acting_person()
        issued = await client.post(
            "/token",
            json={"subject_kind": "organisation", "subject_id": company, "acting_person_id": clerk},
        )
        assert issued.status_code == 200, issued.text
        refused = await client.post(
            "/token", json={"subject_kind": "organisation", "subject_id": company}
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"].startswith("application/problem+json")
    identity = verify_id_token(
        issued.json()["id_token"],
        KeySet.import_key_set(jwks),
        IdentityProvider(issuer, "jointcredit-initiator"),
    )
    assert (identity.subject_id, identity.acting_person_id) == (company, clerk)


def test_the_development_idp_refuses_to_run_in_production() -> None:
    with pytest.raises(ProductionRefused):
        create_devidp(DevIdpSettings(environment="production"))
