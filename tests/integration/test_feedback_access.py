"""Who may read what: oversight or admin for the JSON API, anyone for public aggregates;
malformed requests answered as problem documents; the migrations build the declared schema."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from services.feedback.adapters.tables import metadata
from shared.auth.principal import Role
from shared.persistence.database import make_engine
from shared.persistence.migrations import alembic_config
from tests.support.auth import TestAuthority
from tests.support.feedback import MIGRATIONS, RunningFeedback, running_feedback

pytestmark = pytest.mark.integration

OVERSIGHT_ENDPOINTS = [
    ("GET", "/v1/statistics/departments"),
    ("GET", "/v1/statistics/departments?group_by=measure&group_by=month"),
    ("GET", "/v1/statistics/regions"),
    ("GET", "/v1/statistics/initiators?by_month=true"),
    ("GET", "/v1/overdue"),
    ("GET", "/v1/overdue?format=csv"),
    ("POST", "/v1/reconciliation"),
    ("GET", "/v1/reports/summary"),
    ("GET", "/v1/reports/summary?format=xlsx"),
    ("GET", "/v1/reports/typical-cases?month=2025-11"),
]
PUBLIC_ENDPOINTS = [
    "/v1/public/statistics",
    "/v1/public/statistics?format=csv",
    "/dashboard",
    "/openapi.json",
]


@pytest.fixture(scope="module")
async def service(
    database_url: str, bootstrap: str, authority: TestAuthority
) -> AsyncIterator[RunningFeedback]:
    async with running_feedback(
        database_url, bootstrap, authority, run_consumer=False, run_relay=False
    ) as running:
        yield running


async def _call(
    service: RunningFeedback, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, str, str]:
    response = await service.client.request(method, path, headers=headers or {})
    return response.status_code, response.headers.get("content-type", ""), response.text


@pytest.mark.parametrize(("method", "path"), OVERSIGHT_ENDPOINTS)
async def test_only_oversight_or_admin_tokens_read_the_api(
    service: RunningFeedback, authority: TestAuthority, method: str, path: str
) -> None:
    status, content_type, _ = await _call(service, method, path)
    assert status == 401
    assert content_type == "application/problem+json"
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await _call(service, method, path, bad))[0] == 401
    for roles in ((Role.responder,), (Role.initiator,), (Role.responder, Role.initiator)):
        status, content_type, text = await _call(
            service, method, path, authority.headers("court", *roles)
        )
        assert status == 403, text
        assert content_type == "application/problem+json"
        assert "oversight" in text
    for department, role in (("oversight", Role.oversight), ("court", Role.oversight)):
        status, _, text = await _call(service, method, path, authority.headers(department, role))
        assert status in (200, 202), text
    status, _, text = await _call(service, method, path, authority.headers("fgw", Role.admin))
    assert status in (200, 202), text


@pytest.mark.parametrize("path", PUBLIC_ENDPOINTS)
async def test_public_aggregates_need_no_token(service: RunningFeedback, path: str) -> None:
    status, _, _ = await _call(service, "GET", path)
    assert status == 200


@pytest.mark.parametrize(
    ("method", "path", "location"),
    [
        ("GET", "/v1/reports/typical-cases?month=2025-13", "query.month"),
        ("GET", "/v1/reports/typical-cases", "query.month"),
        ("GET", "/v1/statistics/departments?group_by=subject", "query.group_by.0"),
        ("GET", "/v1/overdue?as_of=yesterday", "query.as_of"),
        ("GET", "/v1/overdue?limit=0", "query.limit"),
        ("GET", "/v1/reports/summary?format=pdf", "query.format"),
        ("GET", "/v1/public/statistics?format=pdf", "query.format"),
        ("GET", "/v1/statistics/departments?month_from=2025-1", "query.month_from"),
        ("GET", "/v1/overdue?as_of=9999-12-31T23:59:59Z", "query.as_of"),
        ("GET", "/v1/overdue?as_of=0001-01-01T00:00:00", "query.as_of"),
        ("GET", "/v1/reports/typical-cases?month=0000-01", "query.month"),
        ("GET", "/v1/reports/typical-cases?month=%D9%A2%D9%A0%D9%A2%D9%A5-01", "query.month"),
        ("GET", "/v1/statistics/departments?department=co%00urt", "query.department"),
        ("GET", "/v1/statistics/departments?region=a%00b", "query.region"),
        ("GET", "/v1/public/statistics?as_of=9999-12-31T23:59:59%2B14:00", "query.as_of"),
    ],
)
async def test_malformed_requests_are_problem_documents(
    service: RunningFeedback, authority: TestAuthority, method: str, path: str, location: str
) -> None:
    response = await service.client.request(
        method, path, headers=authority.headers("oversight", Role.oversight)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert location in [error["location"] for error in response.json()["errors"]]


async def test_reconciliation_body_is_validated(
    service: RunningFeedback, authority: TestAuthority
) -> None:
    headers = authority.headers("oversight", Role.oversight)
    for body in (
        {"reason": "because"},
        {"designation_ids": ["x"]},
        {"as_of": "soon"},
        {"as_of": "9999-12-31T23:59:59Z"},
        {"department_code": "court\u0000"},
    ):
        response = await service.client.post("/v1/reconciliation", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    empty = await service.client.post("/v1/reconciliation", headers=headers)
    assert empty.status_code == 202
    assert empty.json()["designations"] == 0
    assert empty.json()["request_ids"] == []


async def test_openapi_documents_every_route(service: RunningFeedback) -> None:
    spec = (await service.client.get("/openapi.json")).json()
    for path in (
        "/v1/statistics/departments",
        "/v1/statistics/regions",
        "/v1/statistics/initiators",
        "/v1/overdue",
        "/v1/reconciliation",
        "/v1/reports/summary",
        "/v1/reports/typical-cases",
        "/v1/public/statistics",
        "/dashboard",
    ):
        assert path in spec["paths"], path
        for operation in spec["paths"][path].values():
            assert operation.get("summary")
            assert operation.get("tags")


async def test_migrations_build_the_declared_schema_and_downgrade(
    service: RunningFeedback,
) -> None:
    engine = make_engine(service.settings)

    def differences(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), metadata))

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
    config = alembic_config(MIGRATIONS, service.settings)
    await asyncio.to_thread(command.downgrade, config, "0001")
    await asyncio.to_thread(command.upgrade, config, "head")


async def test_expected_measures_move_onto_their_expectations_and_back(
    service: RunningFeedback,
) -> None:
    """Revision 0003 folds the `expected_measures` rows of a database at 0002 into the
    expectations' `measure_codes`; its downgrade unfolds them again."""
    config = alembic_config(MIGRATIONS, service.settings)
    engine = make_engine(service.settings)
    designation = "6f1c5d0e-0000-4000-8000-000000000001"
    expectation = (
        "INSERT INTO expectations (designation_id, department_code, list_type, memorandum_code,"
        " reached_at, reached_month, deadline_workdays, due_date, overdue_from, provisional)"
        f" VALUES ('{designation}', :department, 'black', 'm', now(), '2026-11', 5,"
        " current_date, now(), false)"
    )
    try:
        await asyncio.to_thread(command.downgrade, config, "0002")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO designations (id, version, status, list_type, memorandum_code,"
                    " initiating_department, subject_kind, subject_id, subject_name,"
                    " document_number, decided_at, period_start, first_seen_at, reached_at,"
                    f" reached_month) VALUES ('{designation}', 1, 'active', 'black', 'm',"
                    " 'court', 'organisation', 'x', 'x', 'x', now(), current_date, now(),"
                    " now(), '2026-11')"
                )
            )
            for department in ("court", "tax"):
                await connection.execute(text(expectation), {"department": department})
            await connection.execute(
                text(
                    "INSERT INTO expected_measures (designation_id, department_code, measure_code)"
                    f" VALUES ('{designation}', 'court', 'b_measure'),"
                    f" ('{designation}', 'court', 'a_measure'), ('{designation}', 'tax', 'c')"
                )
            )
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT department_code, measure_codes FROM expectations")
            )
            folded: dict[str, list[str]] = {row[0]: row[1] for row in rows}
        assert folded == {"court": ["a_measure", "b_measure"], "tax": ["c"]}
        await asyncio.to_thread(command.downgrade, config, "0002")
        async with engine.connect() as connection:
            unfolded = (
                await connection.execute(text("SELECT count(*) FROM expected_measures"))
            ).scalar()
        assert unfolded == 3
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM designations"))
        await engine.dispose()
