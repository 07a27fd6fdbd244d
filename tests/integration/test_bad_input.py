"""Hostile input to every service: invalid identifiers, oversized bodies, wrong content types,
unicode edge cases and SQL-looking strings. Never a 5xx; every error a problem document saying
where it is; what is accepted is stored and read back unchanged; nothing is injected.

Bodies are sent as JSON text with `\\u` escapes, so that a lone surrogate arrives as JSON can
carry it (and as no UTF-8 encoder would send it).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import pytest_asyncio

from shared.auth.principal import Role
from shared.identifiers import make_credit_code
from tests.support.auth import TestAuthority
from tests.support.events import person_id
from tests.support.feedback import RunningFeedback, running_feedback
from tests.support.initiator import InitiatorHarness, designation_body, organisation_id
from tests.support.registry import RegistryUnderTest, running_registry
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration

LIMIT = 2**20
"""HTTP_MAX_BODY_BYTES: request bodies above 1 MiB are refused (413) by every service."""

HOSTILE_TEXT = {
    "nul": "测试\x00公司",
    "lone_surrogate": "测试\ud800公司",
    "low_surrogate": "\udc00",
    "rtl_override": "测试\u202egnp.exe公司",
    "arabic_hebrew": "شركة الاختبار חברה",
    "emoji": "测试😀🏳️‍🌈公司",
    "zero_width": "测\u200b试\ufeff公司",
    "combining": "e\u0301\u0301\u0301",
    "very_long": "长" * 50_000,
    "sql_drop": "'); DROP TABLE designations; --",
    "sql_or": "1' OR '1'='1",
    "percent_like": "%_%\\",
    "control_c1": "测试\x85公司",
    "only_spaces": "   \u3000 ",
}
"""Strings that text fields must either store exactly (after trimming) or refuse with a 422."""

SQL_QUERIES = ["' OR 1=1 --", "x'; DROP TABLE outbox; --", "%", "\\", "\x00", "😀", "a" * 5000]


def _json_text(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()


def _assert_problem(response: httpx.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    assert response.status_code in statuses, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code
    assert problem["detail"]
    return problem


def _locations(problem: dict[str, Any]) -> set[str]:
    return {error["location"] for error in problem.get("errors", [])}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[InitiatorHarness]:
    async with InitiatorHarness(database_url, bootstrap, authority, schedule=False) as harness:
        yield harness


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def registry(database_url: str, bootstrap: str) -> AsyncIterator[RegistryUnderTest]:
    async with running_registry(database_url, bootstrap) as running:
        await running.seed()
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def responder(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[ResponderHarness]:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as harness:
        await harness.ready()
        yield harness


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def feedback(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[RunningFeedback]:
    async with running_feedback(
        database_url, bootstrap, authority, run_consumer=False, run_relay=False
    ) as running:
        yield running


# -- invalid identifiers ---------------------------------------------------------------------

VALID_ORGANISATION = make_credit_code("12345678")
VALID_PERSON = person_id(424242)
INVALID_IDENTIFIERS = {
    "credit code check digit": VALID_ORGANISATION[:-1]
    + ("0" if VALID_ORGANISATION[-1] != "0" else "1"),
    "credit code too short": VALID_ORGANISATION[:-1],
    "credit code with I, O, S, V, Z": "91350100MIOSVZ0Y43",
    "resident id check digit": VALID_PERSON[:-1] + ("0" if VALID_PERSON[-1] != "0" else "1"),
    "resident id 13th month": "110105199913010018",
    "resident id as organisation": VALID_PERSON,
    "empty": "",
    "sql": "' OR 1=1 --",
    "nul": "9135010\x00M000100Y4",
}


@pytest.mark.parametrize("case", sorted(INVALID_IDENTIFIERS))
async def test_invalid_identifiers_are_422_naming_the_field(
    case: str, initiator: InitiatorHarness, responder: ResponderHarness
) -> None:
    raw = INVALID_IDENTIFIERS[case]
    body = designation_body(subject_id=raw)
    response = await initiator.client.post(
        "/v1/designations",
        content=_json_text(body),
        headers=initiator.headers() | {"content-type": "application/json"},
    )
    assert "body.subject.id" in _locations(_assert_problem(response, 422))
    person = designation_body(subject_id=raw, kind="person")
    if case != "resident id as organisation":
        response = await initiator.client.post(
            "/v1/designations",
            content=_json_text(person),
            headers=initiator.headers() | {"content-type": "application/json"},
        )
        assert "body.subject.id" in _locations(_assert_problem(response, 422))
    if raw and "\x00" not in raw and raw != VALID_PERSON:
        check = await responder.client.get(
            f"/v1/checks/{quote(raw, safe='')}",
            headers=responder.headers(),
        )
        assert "path.subject_id" in _locations(_assert_problem(check, 422, 404))


async def test_identifiers_are_normalised_not_refused(initiator: InitiatorHarness) -> None:
    """Full-width digits and lower case are how people type them: folded, then checked."""
    code = organisation_id()
    full_width = code.lower().translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    created = await initiator.designate(subject_id=full_width)
    assert created["subject"]["id"] == code


async def test_a_batch_check_answers_invalid_ids_one_by_one(responder: ResponderHarness) -> None:
    invalid = [v for v in INVALID_IDENTIFIERS.values() if v and v != VALID_PERSON]
    ids = [VALID_ORGANISATION, VALID_PERSON, *invalid]
    response = await responder.client.post(
        "/v1/checks/batch",
        content=_json_text({"subject_ids": ids}),
        headers=responder.headers() | {"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["valid"] for r in results] == [True, True] + [False] * len(invalid)
    assert all(r["error"] for r in results[2:])


async def test_malformed_path_identifiers(
    initiator: InitiatorHarness, responder: ResponderHarness, registry: RegistryUnderTest
) -> None:
    for path in ("/v1/designations/not-a-uuid", "/v1/designations/%00", "/v1/objections/1"):
        response = await initiator.client.get(path, headers=initiator.headers())
        _assert_problem(response, 422, 404)
    for path in ("/v1/checks/%00", "/v1/checks/%ED%A0%80", "/v1/checks/" + "9" * 500):
        _assert_problem(await responder.client.get(path, headers=responder.headers()), 422, 404)
    for path in ("/v1/departments/%00", "/v1/catalogue/versions/-1", "/v1/measures/DROP%20TABLE"):
        _assert_problem(await registry.client.get(path), 422, 404)


# -- oversized bodies --------------------------------------------------------------------------


def _oversized_json() -> bytes:
    body = _json_text({"padding": "x" * LIMIT})
    assert len(body) > LIMIT
    return body


async def _chunks(payload: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(payload), 64 * 1024):
        yield payload[start : start + 64 * 1024]


async def test_bodies_over_the_limit_are_413_in_every_service(
    initiator: InitiatorHarness,
    registry: RegistryUnderTest,
    responder: ResponderHarness,
    feedback: RunningFeedback,
    authority: TestAuthority,
) -> None:
    oversized = _oversized_json()
    targets = [
        (initiator.client, "/v1/designations", initiator.headers()),
        (initiator.client, "/v1/public/objections", {}),
        (registry.client, "/v1/departments", await registry.admin_headers()),
        (registry.client, "/v1/token", {}),
        (responder.client, "/v1/checks/batch", responder.headers()),
        (feedback.client, "/v1/reconciliation", authority.headers("oversight", Role.oversight)),
    ]
    for client, path, headers in targets:
        sized = await client.post(
            path, content=oversized, headers=headers | {"content-type": "application/json"}
        )
        assert "larger than" in _assert_problem(sized, 413)["detail"]
        streamed = await client.post(
            path,
            content=_chunks(oversized),
            headers=headers | {"content-type": "application/json"},
        )
        # /v1/token reads forms only: it refuses the JSON without reading it.
        _assert_problem(streamed, *((413, 422) if path == "/v1/token" else (413,)))
    just_under = await responder.client.post(
        "/v1/checks/batch",
        content=_json_text({"subject_ids": [VALID_ORGANISATION], "pad": "x" * (LIMIT - 100)}),
        headers=responder.headers() | {"content-type": "application/json"},
    )
    _assert_problem(just_under, 422)  # reached validation: the extra field, not the size


# -- wrong content types ---------------------------------------------------------------------

WRONG_CONTENT_TYPES = [
    ("text/plain", None),
    ("application/xml", b"<designation/>"),
    ("application/x-www-form-urlencoded", b"subject=1&list_type=black"),
    (
        "multipart/form-data; boundary=x",
        b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n",
    ),
    ("application/json", b"{not json"),
    ("application/json", b"[]"),
    ("application/json", b"\xff\xfe\x00"),
]


@pytest.mark.parametrize(("content_type", "payload"), WRONG_CONTENT_TYPES)
async def test_json_endpoints_refuse_other_content(
    content_type: str,
    payload: bytes | None,
    initiator: InitiatorHarness,
    responder: ResponderHarness,
    feedback: RunningFeedback,
    registry: RegistryUnderTest,
    authority: TestAuthority,
) -> None:
    valid_designation = _json_text(designation_body())
    targets = [
        (initiator.client, "/v1/designations", initiator.headers(), valid_designation),
        (
            responder.client,
            "/v1/checks/batch",
            responder.headers(),
            _json_text({"subject_ids": [VALID_ORGANISATION]}),
        ),
        (
            feedback.client,
            "/v1/reconciliation",
            authority.headers("oversight", Role.oversight),
            _json_text({"reason": "overdue_receipt"}),
        ),
        (
            registry.client,
            "/v1/clients",
            await registry.admin_headers(),
            _json_text({"department_code": "court", "roles": ["responder"], "name": "x"}),
        ),
    ]
    for client, path, headers, valid in targets:
        response = await client.post(
            path,
            content=payload if payload is not None else valid,
            headers=headers | {"content-type": content_type},
        )
        _assert_problem(response, 415, 422, 400)


async def test_upload_endpoints_refuse_json_and_token_refuses_json(
    initiator: InitiatorHarness, registry: RegistryUnderTest
) -> None:
    response = await initiator.client.post(
        "/v1/imports",
        content=b'{"file": "x"}',
        headers=initiator.headers() | {"content-type": "application/json"},
    )
    _assert_problem(response, 415, 422, 400)
    response = await registry.client.post(
        "/v1/catalogue/import/measures",
        content=b'{"file": "x"}',
        headers=await registry.admin_headers() | {"content-type": "application/json"},
    )
    _assert_problem(response, 415, 422, 400)
    token = await registry.client.post(
        "/v1/token", json={"grant_type": "client_credentials", "client_id": "a"}
    )
    _assert_problem(token, 415, 422, 400, 401)


# -- unicode edge cases and SQL-looking strings -------------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXT))
async def test_hostile_text_in_a_designation(name: str, initiator: InitiatorHarness) -> None:
    value = HOSTILE_TEXT[name]
    body = designation_body()
    body["subject"]["name"] = value
    body["reason"] = value
    response = await initiator.client.post(
        "/v1/designations",
        content=_json_text(body),
        headers=initiator.headers() | {"content-type": "application/json"},
    )
    if response.status_code == 201:
        created = response.json()
        stored = await initiator.client.get(
            f"/v1/designations/{created['id']}", headers=initiator.headers()
        )
        assert stored.json()["subject"]["name"] == value.strip()
        assert stored.json()["reason"] == value.strip()
        return
    problem = _assert_problem(response, 422)
    assert _locations(problem) & {"body.subject.name", "body.reason"}, problem


@pytest.mark.parametrize("name", sorted(HOSTILE_TEXT))
async def test_hostile_text_in_the_registry(name: str, registry: RegistryUnderTest) -> None:
    value = HOSTILE_TEXT[name]
    headers = await registry.admin_headers()
    response = await registry.client.post(
        "/v1/clients",
        content=_json_text({"department_code": "court", "roles": ["responder"], "name": value}),
        headers=headers | {"content-type": "application/json"},
    )
    if response.status_code >= 400:
        _assert_problem(response, 422)
    department = await registry.client.post(
        "/v1/departments",
        content=_json_text(
            {
                "code": f"hostile_{name}",
                "name": value,
                "level": "市",
                "region": value,
                "kind": "其他",
                "active": False,
            }
        ),
        headers=headers | {"content-type": "application/json"},
    )
    if department.status_code >= 400:
        _assert_problem(department, 422, 409)
    try:
        query = "q=" + quote(value[:300], safe="")
    except UnicodeEncodeError:
        query = "q=%ED%A0%80"  # a lone surrogate as the bytes a broken client would send
    search = await registry.client.get(f"/v1/departments?{query}")
    if search.status_code != 200:
        _assert_problem(search, 400, 422)


@pytest.mark.parametrize("value", SQL_QUERIES)
async def test_sql_looking_query_parameters(
    value: str,
    initiator: InitiatorHarness,
    registry: RegistryUnderTest,
    responder: ResponderHarness,
    feedback: RunningFeedback,
    authority: TestAuthority,
) -> None:
    calls = [
        (initiator.client, "/v1/designations", {"memorandum_code": value}, initiator.headers()),
        (initiator.client, "/v1/designations", {"subject_id": value}, initiator.headers()),
        (initiator.client, "/v1/designations", {"department": value}, initiator.headers()),
        (initiator.client, "/v1/public/lists/black", {"limit": value}, {}),
        (registry.client, "/v1/measures", {"q": value, "department": value}, {}),
        (registry.client, "/v1/departments", {"q": value, "region": value}, {}),
        (registry.client, "/v1/catalogue/diff", {"from": value, "to": "1"}, {}),
        (registry.client, "/v1/clients", {"department": value}, await registry.admin_headers()),
        (
            responder.client,
            "/v1/enforcements",
            {"subject_id": value, "business_system": value, "measure_code": value},
            responder.headers(),
        ),
        (
            responder.client,
            "/v1/checks/" + VALID_ORGANISATION,
            {"scenario": value},
            responder.headers(),
        ),
        (
            feedback.client,
            "/v1/statistics/departments",
            {"region": value, "department": value},
            authority.headers("oversight", Role.oversight),
        ),
        (
            feedback.client,
            "/v1/overdue",
            {"as_of": value},
            authority.headers("oversight", Role.oversight),
        ),
    ]
    for client, path, params, headers in calls:
        response = await client.get(path, params=params, headers=headers)
        if response.status_code >= 400:
            _assert_problem(response, 400, 404, 422)
    still = await initiator.client.get("/v1/designations", headers=initiator.headers())
    assert still.status_code == 200, "the tables are still there"
    assert (await registry.client.get("/v1/departments")).status_code == 200
