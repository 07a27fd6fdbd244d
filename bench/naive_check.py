"""The naive baseline of the check benchmark: one indexed SQL query per check.

The same server stack as the responder — `shared.web.create_app` (trace middleware, problem
handlers, `/healthz`, the cached token authenticator), served by uvicorn exactly as
`jointcredit serve` does — on the responder's own database and tables, answering the same JSON
shape from the same catalogue texts. The one difference: each check reads
`measure_targets ⋈ designations` through the index `measure_targets_target` (one query on an
asyncpg pool) instead of the responder's in-memory index.

    DATABASE_NAME=… AUTH_JWKS_URL=file://… python -m bench.naive_check --port 8100
"""

from __future__ import annotations

import argparse
import os
from datetime import date
from typing import Any

import asyncpg
import orjson
import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from services.responder.domain import clock
from services.responder.domain.subjects import parse_subject_id
from shared.auth.dependencies import Authenticator
from shared.catalogue import Catalogue
from shared.identifiers import IdentifierError
from shared.logs import configure_logging
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from shared.web.app import create_app
from shared.web.problems import Problem

QUERY = """
SELECT d.id, d.version, d.memorandum_code, d.list_type, d.period_start, d.period_end,
       d.subject_id, t.target_role, t.measure_codes
FROM measure_targets t JOIN designations d ON d.id = t.designation_id
WHERE t.target_id = $1 AND t.state = 'in_force'
  AND d.period_start <= $2 AND (d.period_end IS NULL OR d.period_end >= $2)
"""


def _measure_fields(catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    return {
        code: {
            "measure_code": m.code,
            "measure_title": m.title,
            "measure_memorandum_code": m.memorandum,
            "content": m.content,
            "legal_basis": m.legal_basis,
            "binding": m.binding,
            "category": m.category,
            "scenarios": list(m.scenarios),
        }
        for code, m in catalogue.measures.items()
    }


class NaiveChecks:
    def __init__(self, settings: ServiceSettings, department: str) -> None:
        self.settings = settings
        self.department = department
        self.pool: asyncpg.Pool | None = None
        self.catalogue: Catalogue | None = None
        self.fields: dict[str, dict[str, Any]] = {}

    async def start(self, runtime: Runtime) -> None:
        self.pool = await asyncpg.create_pool(
            self.settings.plain_database_url, min_size=10, max_size=10
        )
        row = await self.pool.fetchrow("SELECT version, document FROM catalogue_state")
        self.catalogue = Catalogue.from_document(orjson.loads(row["document"]), row["version"])
        self.fields = _measure_fields(self.catalogue)

    async def answer(self, request: Request) -> Response:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "an 'Authorization: Bearer <token>' header is needed")
        authenticator: Authenticator = request.app.state.authenticator
        principal = await authenticator.principal(token.strip())
        principal.require_department(self.department)
        subject_id: str = request.path_params["subject_id"]
        try:
            normalised, kind = parse_subject_id(subject_id)
        except IdentifierError as error:
            raise Problem(422, error.reason) from None
        moment = clock.now()
        today: date = clock.shanghai_date(moment)
        assert self.pool is not None
        assert self.catalogue is not None
        rows = await self.pool.fetch(QUERY, normalised, today)
        measures = []
        for row in rows:
            memorandum = self.catalogue.memoranda.get(row["memorandum_code"])
            role = row["target_role"]
            common = {
                "designation_id": str(row["id"]),
                "designation_version": row["version"],
                "memorandum_code": row["memorandum_code"],
                "memorandum_title": memorandum.title if memorandum else "",
                "list_type": row["list_type"],
                "role": role,
                "organisation_id": None if role == "subject" else row["subject_id"],
                "period_start": row["period_start"].isoformat(),
                "period_end": row["period_end"].isoformat() if row["period_end"] else None,
            }
            measures += [self.fields[c] | common for c in row["measure_codes"] if c in self.fields]
        body = {
            "subject_id": normalised,
            "subject_kind": kind,
            "department_code": self.department,
            "checked_at": moment.isoformat(),
            "as_of": today.isoformat(),
            "scenario": None,
            "in_force": bool(measures),
            "measures": measures,
        }
        return Response(orjson.dumps(body), media_type="application/json")


def create() -> FastAPI:
    settings = ServiceSettings.load(service_name="naive-check", run_relay=False)
    checks = NaiveChecks(settings, os.environ.get("DEPARTMENT_CODE", "court"))
    router = APIRouter()
    router.add_api_route("/v1/checks/{subject_id}", checks.answer, methods=["GET"])
    return create_app(
        Runtime.create(settings),
        title="naive check baseline",
        description="one SQL query per check",
        routers=[router],
        on_start=[checks.start],
        quiet_paths=("/v1/checks/",),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    arguments = parser.parse_args()
    configure_logging("naive-check", os.environ.get("LOG_LEVEL", "INFO"))
    uvicorn.run(
        "bench.naive_check:create",
        factory=True,
        host="127.0.0.1",
        port=arguments.port,
        log_config=None,
        access_log=False,
    )
