"""Every endpoint × role × department: only what the access rules allow gets through.

The rules are those of docs/registry.md, docs/initiator.md, docs/responder.md and
docs/feedback.md, restated below as one table per service. Each row names the roles that may
call the endpoint with a token of the department that owns what it acts on (`own`), and with a
token of another department (`other`); `PUBLIC` needs no token. Every endpoint is called with no
token and with a token of each role (admin, initiator, responder, oversight) of both
departments: 8 tokens and none, one role per token.

A call that is not allowed must be 401 (no token) or 403 (a token), as a problem document. A call
that is allowed must get past authorisation: never 401/403, never 5xx; the requests are real
enough that most allowed calls succeed (2xx), the rest stop at a 404/409/422 of their data.
Mutating endpoints get a fresh resource for every allowed call.

The subject's own filings (`POST /v1/public/objections`, `/v1/public/repairs`) take the
subject's ID token, not a department token; they and the objection rule (a department that
made the designation or owes measures for it) have cells of their own below, each checking that
a refused call changed nothing: anonymous, a department token, another subject, another
department, a department without measures, a client deleted at the registry.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from shared.auth.principal import Role
from shared.catalogue import Catalogue
from shared.events.designations import DesignationEventType
from tests.support.auth import TestAuthority, TestIdentityProvider, acting_person
from tests.support.events import designation_state, seed_document
from tests.support.feedback import RunningFeedback, running_feedback
from tests.support.initiator import InitiatorHarness, designation_body, organisation_id
from tests.support.registry import RegistryUnderTest, running_registry
from tests.support.responder import ResponderHarness

pytestmark = pytest.mark.integration

ROLES = ("admin", "initiator", "responder", "oversight")
ALL = "admin initiator responder oversight"
READERS = "initiator oversight admin"
PUBLIC = "*"

# method, path, roles allowed with a token of the owning department, of another department.
REGISTRY = [  # own = fgw (the platform administrator's department); clients: own = court
    ("GET", "/v1/catalogue", PUBLIC, PUBLIC),
    ("GET", "/v1/catalogue/versions", PUBLIC, PUBLIC),
    ("GET", "/v1/catalogue/versions/1", PUBLIC, PUBLIC),
    ("GET", "/v1/catalogue/versions/1/changes", PUBLIC, PUBLIC),
    ("GET", "/v1/catalogue/diff?from=1&to=1", PUBLIC, PUBLIC),
    ("GET", "/v1/catalogue/export/measures?format=csv", PUBLIC, PUBLIC),
    ("GET", "/v1/departments", PUBLIC, PUBLIC),
    ("GET", "/v1/departments/court", PUBLIC, PUBLIC),
    ("GET", "/v1/memoranda", PUBLIC, PUBLIC),
    ("GET", "/v1/memoranda/food_drug", PUBLIC, PUBLIC),
    ("GET", "/v1/memoranda/food_drug/history", PUBLIC, PUBLIC),
    ("GET", "/v1/measures", PUBLIC, PUBLIC),
    ("GET", "/v1/measures/{measure}", PUBLIC, PUBLIC),
    ("GET", "/.well-known/jwks.json", PUBLIC, PUBLIC),
    ("POST", "/v1/departments", "admin", ""),
    ("PATCH", "/v1/departments/railway", "admin", ""),
    ("DELETE", "/v1/departments/{new_department}", "admin", ""),
    ("DELETE", "/v1/memoranda/legal_services", "admin", ""),
    ("GET", "/v1/memorandum-drafts", "admin", ""),
    ("POST", "/v1/memorandum-drafts", "admin", ""),
    ("POST", "/v1/memoranda/energy_environment_exemplars/draft", "admin", ""),
    ("GET", "/v1/memorandum-drafts/food_drug", "admin", ""),
    ("PUT", "/v1/memorandum-drafts/food_drug", "admin", ""),
    ("DELETE", "/v1/memorandum-drafts/safety_production", "admin", ""),
    ("POST", "/v1/memorandum-drafts/ecological_environment/publish", "admin", ""),
    ("POST", "/v1/catalogue/import/departments?dry_run=true", "admin", ""),
    ("GET", "/v1/keys", "admin", ""),
    ("POST", "/v1/keys/rotate", "admin", ""),
    ("POST", "/v1/clients", "admin", ""),  # clients of court
    ("GET", "/v1/clients?department=court", "admin", ""),
    ("GET", "/v1/clients/{court_client}", "admin", ""),
    ("DELETE", "/v1/clients/{new_court_client}", "admin", ""),
    ("GET", "/v1/audit", "oversight admin", "oversight"),  # admin: the platform's only
]

INITIATOR = [  # own = court (the initiating department of the designation); other = market
    ("POST", "/v1/designations", "initiator", ""),
    ("GET", "/v1/designations", READERS, READERS),  # another initiator sees its own only
    ("GET", "/v1/designations/{designation}", READERS, "oversight admin"),
    ("GET", "/v1/designations/{designation}/history", READERS, "oversight admin"),
    ("POST", "/v1/designations/{new_designation}/revocation", "initiator", ""),
    ("POST", "/v1/designations/{new_designation}/extension", "initiator", ""),
    ("POST", "/v1/designations/{new_designation}/objections", ALL, ALL),
    ("POST", "/v1/objections/{new_objection}/decision", "initiator", ""),
    ("POST", "/v1/designations/{new_designation}/repairs", "initiator", "initiator"),
    ("POST", "/v1/repairs/{new_repair}/decision", "initiator", ""),
    ("GET", "/v1/objections", READERS, READERS),
    ("GET", "/v1/objections/{objection}", READERS, "oversight admin"),
    ("GET", "/v1/repairs", READERS, READERS),
    ("GET", "/v1/repairs/{repair}", READERS, "oversight admin"),
    ("POST", "/v1/imports", "initiator", "initiator"),
    ("GET", "/v1/imports", READERS, READERS),
    ("GET", "/v1/imports/{import}", READERS, "oversight admin"),
    ("GET", "/v1/imports/{import}/errors", READERS, "oversight admin"),
    ("GET", "/v1/imports/{import}/rows", READERS, "oversight admin"),
    ("POST", "/v1/republish", "oversight admin", "oversight admin"),
    ("GET", "/v1/republish/{republish}", "oversight admin", "oversight admin"),
    ("GET", "/v1/public/lists/black", PUBLIC, PUBLIC),
    ("GET", "/v1/public/lists/red", PUBLIC, PUBLIC),
    ("GET", "/v1/public/exits", PUBLIC, PUBLIC),
    ("GET", "/v1/audit", "oversight", "oversight"),
]

RESPONDER = [  # own = court (the responder's DEPARTMENT_CODE); other = market
    ("GET", "/v1/checks/{subject}", "responder admin", ""),
    ("POST", "/v1/checks/batch", "responder admin", ""),
    ("POST", "/v1/enforcements", "responder admin", ""),
    ("GET", "/v1/enforcements", "responder admin", ""),
    ("GET", "/v1/designations/{designation}", "responder admin", ""),
    ("GET", "/v1/status", "responder admin", ""),
    ("GET", "/v1/audit", "oversight", "oversight"),
]

FEEDBACK = [  # any department: own = oversight, other = court
    ("GET", "/v1/statistics/departments", "oversight admin", "oversight admin"),
    ("GET", "/v1/statistics/regions", "oversight admin", "oversight admin"),
    ("GET", "/v1/statistics/initiators", "oversight admin", "oversight admin"),
    ("GET", "/v1/overdue", "oversight admin", "oversight admin"),
    ("POST", "/v1/reconciliation", "oversight admin", "oversight admin"),
    ("GET", "/v1/reports/summary", "oversight admin", "oversight admin"),
    ("GET", "/v1/reports/typical-cases?month=2025-11", "oversight admin", "oversight admin"),
    ("GET", "/v1/public/statistics", PUBLIC, PUBLIC),
    ("GET", "/dashboard", PUBLIC, PUBLIC),
    ("GET", "/v1/audit", "oversight", "oversight"),
]

OPERATIONS = [("GET", "/healthz", PUBLIC, PUBLIC), ("GET", "/openapi.json", PUBLIC, PUBLIC)]

Headers = Callable[[str, str], Awaitable[dict[str, str]]]
"""(department, role) -> Authorization header."""


@dataclass
class Call:
    method: str
    path: str
    caller: str
    allowed: bool
    status: int
    body: str

    @property
    def wrong(self) -> str | None:
        if self.status >= 500:
            return "server error"
        if self.allowed and self.status in (401, 403):
            return "refused although allowed"
        if not self.allowed:
            wanted = 401 if self.caller == "none" else 403
            if self.status != wanted:
                return f"expected {wanted}"
        return None


def _allowed(rule: str, role: str) -> bool:
    return rule == PUBLIC or role in rule.split()


async def _run_matrix(
    client: httpx.AsyncClient,
    table: list[tuple[str, str, str, str]],
    departments: tuple[str, str],
    headers: Headers,
    resolve: Callable[[str], Awaitable[str]],
    request: Callable[[str, str], Awaitable[dict[str, Any]]],
) -> list[Call]:
    """Denied calls first (they must change nothing), then the allowed ones."""
    calls: list[Call] = []
    for method, template, own, other in [*table, *OPERATIONS]:
        callers: list[tuple[str, bool, dict[str, str]]] = [("none", own == PUBLIC, {})]
        for relation, department, rule in (
            ("own", departments[0], own),
            ("other", departments[1], other),
        ):
            for role in ROLES:
                callers.append(
                    (
                        f"{role}@{relation}",
                        _allowed(rule, role),
                        await headers(department, role),
                    )
                )
        callers.sort(key=lambda caller: caller[1])
        for caller, allowed, auth in callers:
            path = await resolve(template) if allowed else await _placeholder(resolve, template)
            extra = await request(method, path)
            sent = auth | extra.pop("headers", {})
            response = await client.request(method, path, **extra, headers=sent)
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
            calls.append(
                Call(method, template, caller, allowed, response.status_code, response.text[:200])
            )
    return calls


async def _placeholder(resolve: Callable[[str], Awaitable[str]], template: str) -> str:
    """A denied call needs a real resource too (the department is checked against it), but
    never a fresh one."""
    return await resolve(template.replace("{new_", "{"))


def _report(calls: list[Call]) -> str:
    wrong = [c for c in calls if c.wrong]
    lines = [f"{c.method} {c.path} as {c.caller}: {c.status} ({c.wrong}) {c.body}" for c in wrong]
    allowed = [c for c in calls if c.allowed]
    succeeded = sum(1 for c in allowed if c.status < 300)
    summary = f"{len(calls)} calls, {len(allowed)} allowed ({succeeded} 2xx), {len(wrong)} wrong"
    return "\n".join([summary, *lines[:40]])


# -- the initiator ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> TestIdentityProvider:
    return TestIdentityProvider(tmp_path_factory.mktemp("idp"))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def initiator(
    database_url: str, bootstrap: str, authority: TestAuthority, idp: TestIdentityProvider
) -> AsyncIterator[InitiatorHarness]:
    async with InitiatorHarness(
        database_url,
        bootstrap,
        authority,
        schedule=False,
        public_rate_limit="",
        client_rate_limit="",
        **idp.settings,
    ) as harness:
        yield harness


async def test_initiator_access_matrix(
    initiator: InitiatorHarness, authority: TestAuthority
) -> None:
    court = initiator.headers("court", Role.initiator)
    cached: dict[str, str] = {}

    async def designation() -> str:
        created = await initiator.designate()
        return str(created["id"])

    async def application(kind: str) -> str:
        target = await designation()
        body = (
            {"grounds": "信息有误"}
            if kind == "objections"
            else {"statement": "已履行", "evidence": ["结案通知书"]}
        )
        response = await initiator.client.post(
            f"/v1/designations/{target}/{kind}", json=body, headers=court
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def import_file() -> dict[str, Any]:
        body = designation_body()
        columns = ("reason", "legal_basis", "document_number", "period_start")
        csv = "subject_id,subject_name,decided_at," + ",".join(columns) + "\n"
        csv += ",".join(
            [body["subject"]["id"], body["subject"]["name"], body["decided_at"][:10]]
            + [body[c] for c in columns]
        )
        return {
            "files": {"file": ("list.csv", io.BytesIO(csv.encode()), "text/csv")},
            "data": {"memorandum_code": "dishonest_judgment_debtors", "list_type": "black"},
        }

    async def an_import() -> str:
        response = await initiator.client.post("/v1/imports", **import_file(), headers=court)
        assert response.status_code == 202, response.text
        return str(response.json()["import_id"])

    async def republish() -> str:
        response = await initiator.client.post(
            "/v1/republish",
            json={"designation_ids": [await resolve("{designation}")]},
            headers=authority.headers("oversight", Role.oversight),
        )
        assert response.status_code == 202, response.text
        return str(response.json()["request_id"])

    makers: dict[str, Callable[[], Awaitable[str]]] = {
        "designation": designation,
        "objection": lambda: application("objections"),
        "repair": lambda: application("repairs"),
        "import": an_import,
        "republish": republish,
    }

    async def resolve(template: str) -> str:
        path = template
        for name, make in makers.items():
            if "{new_" + name + "}" in path:
                path = path.replace("{new_" + name + "}", await make())
            if "{" + name + "}" in path:
                if name not in cached:
                    cached[name] = await make()
                path = path.replace("{" + name + "}", cached[name])
        return path

    async def request(method: str, path: str) -> dict[str, Any]:
        key = {"headers": {"Idempotency-Key": uuid.uuid4().hex}}
        if path == "/v1/designations" and method == "POST":
            return key | {"json": designation_body()}
        if path.endswith("/revocation"):
            return key | {"json": {"reason": "认定错误"}}
        if path.endswith("/extension"):
            return key | {"json": {"period_end": "2040-12-31", "reason": "延长"}}
        if path.endswith("/objections") and "/public/" not in path:
            return key | {"json": {"grounds": "信息有误"}}
        if path.endswith("/repairs") and "/public/" not in path:
            return key | {"json": {"statement": "已履行"}}
        if "/objections/" in path and path.endswith("/decision"):
            return key | {"json": {"outcome": "rejected", "note": "无误"}}
        if "/repairs/" in path and path.endswith("/decision"):
            return key | {"json": {"approved": True}}
        if path == "/v1/imports" and method == "POST":
            return import_file()
        if path == "/v1/republish":
            return {"json": {"designation_ids": [await resolve("{designation}")]}}
        return {}

    async def headers(department: str, role: str) -> dict[str, str]:
        return authority.headers(department, role)

    calls = await _run_matrix(
        initiator.client, INITIATOR, ("court", "market"), headers, resolve, request
    )
    assert not any(c.wrong for c in calls), _report(calls)
    _assert_most_allowed_calls_succeed(calls)


async def _snapshot(initiator: InitiatorHarness, designation_id: str) -> tuple[Any, ...]:
    """What a refused call must leave as it was: status, version, history, applications."""
    court = initiator.headers("court")
    get = initiator.client.get
    current = (await get(f"/v1/designations/{designation_id}", headers=court)).json()
    history = (await get(f"/v1/designations/{designation_id}/history", headers=court)).json()
    params = {"designation_id": designation_id}
    objections = (await get("/v1/objections", params=params, headers=court)).json()
    repairs = (await get("/v1/repairs", params=params, headers=court)).json()
    return current["status"], current["version"], history, objections, repairs


def _history(snapshot: tuple[Any, ...]) -> list[dict[str, Any]]:
    history = snapshot[2]
    return list(history if isinstance(history, list) else history["items"])


async def test_subject_filings_cells(
    initiator: InitiatorHarness, idp: TestIdentityProvider
) -> None:
    """Anonymous 401, a department token 401 (it is no ID token), another subject 403 — and
    nothing changes; the designated subject's own token files."""
    for path, text in (
        ("/v1/public/objections", {"grounds": "信息有误"}),
        ("/v1/public/repairs", {"statement": "已履行"}),
    ):
        designation = await initiator.designate()
        company = designation["subject"]["id"]
        body = {"designation_id": designation["id"], "subject_id": company, **text}
        before = await _snapshot(initiator, designation["id"])
        cells = {
            "anonymous": ({}, 401),
            "department token": (initiator.headers("court"), 401),
            "another subject": (idp.headers(organisation_id()), 403),
        }
        for cell, (headers, status) in cells.items():
            response = await initiator.client.post(path, json=body, headers=headers)
            assert response.status_code == status, (path, cell, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        assert await _snapshot(initiator, designation["id"]) == before, path
        own = await initiator.client.post(
            path, json=body, headers=idp.headers(company, acting_person())
        )
        assert own.status_code == 201, own.text


async def test_objection_cells_of_departments(
    initiator: InitiatorHarness, authority: TestAuthority
) -> None:
    """A department that owes no measures for the memorandum (even with every role) is 403 and
    changes nothing; one that owes measures suspends, and the history names it."""
    catalogue = Catalogue.from_document(seed_document(), 1)
    designation = await initiator.designate()
    owing = catalogue.departments_owing(designation["memorandum_code"])
    bystander = sorted(set(catalogue.departments) - owing - {"court"})[0]
    path = f"/v1/designations/{designation['id']}/objections"
    before = await _snapshot(initiator, designation["id"])
    for role in ROLES:
        refused = await initiator.client.post(
            path, json={"grounds": "信息有误"}, headers=authority.headers(bystander, role)
        )
        assert refused.status_code == 403, (role, refused.text)
        assert "owes measures" in refused.json()["detail"]
    assert await _snapshot(initiator, designation["id"]) == before

    assert "market" in owing
    filed = await initiator.client.post(
        path, json={"grounds": "信息有误"}, headers=authority.headers("market", Role.responder)
    )
    assert filed.status_code == 201, filed.text
    suspension = _history(await _snapshot(initiator, designation["id"]))[-1]
    assert (suspension["status"], suspension["actor_department"], suspension["actor_client"]) == (
        "suspended",
        "market",
        "market-client",
    )


async def test_a_client_deleted_at_the_registry_gets_no_token_and_changes_nothing(
    database_url: str,
    bootstrap: str,
    initiator: InitiatorHarness,
) -> None:
    """The registry refuses the deleted client a token; without one the initiator answers 401
    and the designation is untouched. (A token issued before the deletion stays valid at the
    initiator until it expires: docs/registry.md, RELIABILITY.md.)"""
    designation = await initiator.designate()
    before = await _snapshot(initiator, designation["id"])
    async with running_registry(database_url, bootstrap) as registry:
        await registry.seed()
        client_id, secret = await registry.issue("market", Role.responder)
        deleted = await registry.client.delete(
            f"/v1/clients/{client_id}", headers=await registry.admin_headers()
        )
        assert deleted.status_code == 204, deleted.text
        refused = await registry.client.post(
            "/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
    without = await initiator.client.post(
        f"/v1/designations/{designation['id']}/objections", json={"grounds": "信息有误"}
    )
    assert without.status_code == 401
    assert without.headers["WWW-Authenticate"].startswith("Bearer")
    assert await _snapshot(initiator, designation["id"]) == before


# -- the responder ------------------------------------------------------------------------------


async def test_responder_access_matrix(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with ResponderHarness(database_url, bootstrap, authority, "court") as responder:
        await responder.ready()
        state = designation_state()
        await responder.publish_states(DesignationEventType.initiated, state)
        await responder.settled(state["id"], 1)
        subject = state["subject"]["id"]

        async def resolve(template: str) -> str:
            return template.replace("{subject}", subject).replace("{designation}", state["id"])

        async def request(method: str, path: str) -> dict[str, Any]:
            if path == "/v1/checks/batch":
                return {"json": {"subject_ids": [subject]}}
            if path == "/v1/enforcements" and method == "POST":
                return {"json": {}}
            return {}

        async def headers(department: str, role: str) -> dict[str, str]:
            return authority.headers(department, role)

        calls = await _run_matrix(
            responder.client, RESPONDER, ("court", "market"), headers, resolve, request
        )
    assert not any(c.wrong for c in calls), _report(calls)


# -- feedback -----------------------------------------------------------------------------------


async def test_feedback_access_matrix(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> None:
    async with running_feedback(
        database_url, bootstrap, authority, run_consumer=False, run_relay=False
    ) as service:
        calls = await _feedback_calls(service, authority)
    assert not any(c.wrong for c in calls), _report(calls)
    _assert_most_allowed_calls_succeed(calls)


async def _feedback_calls(service: RunningFeedback, authority: TestAuthority) -> list[Call]:
    async def resolve(template: str) -> str:
        return template

    async def request(method: str, path: str) -> dict[str, Any]:
        return {"json": {"reason": "overdue_receipt"}} if method == "POST" else {}

    async def headers(department: str, role: str) -> dict[str, str]:
        return authority.headers(department, role)

    return await _run_matrix(
        service.client, FEEDBACK, ("oversight", "court"), headers, resolve, request
    )


# -- the registry -------------------------------------------------------------------------------


async def test_registry_access_matrix(database_url: str, bootstrap: str) -> None:
    async with running_registry(database_url, bootstrap) as registry:
        await registry.seed()
        calls = await _registry_calls(registry)
    assert not any(c.wrong for c in calls), _report(calls)
    _assert_most_allowed_calls_succeed(calls)


async def _registry_calls(registry: RegistryUnderTest) -> list[Call]:
    platform = await registry.admin_headers()
    tokens: dict[tuple[str, str], dict[str, str]] = {}
    created = {"departments": 0}

    async def headers(department: str, role: str) -> dict[str, str]:
        if (department, role) not in tokens:
            tokens[department, role] = await registry.headers(department, Role(role))
        return tokens[department, role]

    async def new_department() -> str:
        created["departments"] += 1
        code = f"matrix_{created['departments']}"
        response = await registry.client.post(
            "/v1/departments", json=_department(code), headers=platform
        )
        assert response.status_code in (200, 201), response.text
        return code

    async def court_client() -> str:
        client_id, _ = await registry.issue("court", Role.responder)
        return client_id

    measures = await registry.client.get("/v1/measures", params={"limit": 1})
    measure = measures.json()["items"][0]["code"]
    for memorandum in ("food_drug", "safety_production", "ecological_environment"):
        opened = await registry.client.post(f"/v1/memoranda/{memorandum}/draft", headers=platform)
        assert opened.status_code in (200, 201), opened.text
    draft = (await registry.client.get("/v1/memorandum-drafts/food_drug", headers=platform)).json()
    departments_csv = (
        await registry.client.get("/v1/catalogue/export/departments", params={"format": "csv"})
    ).content
    standing_client = await court_client()

    async def resolve(template: str) -> str:
        path = template.replace("{measure}", measure)
        if "{new_department}" in path:
            path = path.replace("{new_department}", await new_department())
        if "{department}" in path:
            path = path.replace("{department}", "railway")
        if "{new_court_client}" in path:
            path = path.replace("{new_court_client}", await court_client())
        return path.replace("{court_client}", standing_client)

    async def request(method: str, path: str) -> dict[str, Any]:
        if path == "/v1/departments" and method == "POST":
            created["departments"] += 1
            return {"json": _department(f"matrix_{created['departments']}")}
        if path.startswith("/v1/departments/") and method == "PATCH":
            return {"json": {"region": "测试区域"}}
        if path == "/v1/memorandum-drafts" and method == "POST":
            return {"json": {}}
        if path == "/v1/memorandum-drafts/food_drug" and method == "PUT":
            return {"json": {"memorandum": draft["memorandum"], "measures": draft["measures"]}}
        if path.endswith("/publish"):
            return {"json": {"note": "access matrix"}}
        if path.startswith("/v1/catalogue/import/"):
            return {"files": {"file": ("departments.csv", io.BytesIO(departments_csv), "text/csv")}}
        if path == "/v1/keys/rotate":
            return {"json": {}}
        if path == "/v1/clients" and method == "POST":
            return {"json": {"department_code": "court", "roles": ["responder"], "name": "矩阵"}}
        return {}

    calls = await _run_matrix(
        registry.client,
        [r for r in REGISTRY if "clients" not in r[1]],
        ("fgw", "court"),
        headers,
        resolve,
        request,
    )
    calls += await _run_matrix(
        registry.client,
        [r for r in REGISTRY if "clients" in r[1]],
        ("court", "market"),
        headers,
        resolve,
        request,
    )
    return calls


def _department(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": f"访问矩阵{code}",
        "level": "市",
        "region": "测试",
        "kind": "其他",
        "active": False,
    }


def _assert_most_allowed_calls_succeed(calls: list[Call]) -> None:
    """The requests are real: authorised calls mostly succeed rather than stop at validation."""
    allowed = [c for c in calls if c.allowed and c.caller != "none"]
    succeeded = [c for c in allowed if c.status < 300]
    assert len(succeeded) >= 0.75 * len(allowed), _report(calls)
