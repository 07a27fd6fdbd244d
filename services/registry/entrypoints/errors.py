"""Problem documents for the registry's own failures."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.registry.domain.catalogue import CatalogueInvalid
from services.registry.handlers.errors import Conflict, ImportRejected, NotFound, Rejected
from services.registry.handlers.keys import KeyUnavailable
from shared.web.problems import problem_response


def install_registry_errors(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def _not_found(request: Request, error: NotFound) -> JSONResponse:
        return problem_response(404, str(error), request)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, error: Conflict) -> JSONResponse:
        return problem_response(409, str(error), request)

    @app.exception_handler(Rejected)
    async def _rejected(request: Request, error: Rejected) -> JSONResponse:
        return problem_response(
            422, str(error), request, errors=[{"location": "body", "message": str(error)}]
        )

    @app.exception_handler(CatalogueInvalid)
    async def _invalid(request: Request, error: CatalogueInvalid) -> JSONResponse:
        return problem_response(
            422,
            f"the catalogue would not be valid: {error}",
            request,
            errors=[{"location": i.location, "message": i.message} for i in error.issues],
        )

    @app.exception_handler(ImportRejected)
    async def _import(request: Request, error: ImportRejected) -> JSONResponse:
        errors = [
            {
                "row": e.row,
                "column": e.column,
                "message": e.message,
                "location": f"row {e.row}" + (f", column {e.column}" if e.column else ""),
            }
            for e in error.errors
        ]
        return problem_response(422, str(error), request, errors=errors)

    @app.exception_handler(KeyUnavailable)
    async def _keys(request: Request, error: KeyUnavailable) -> JSONResponse:
        return problem_response(503, f"tokens cannot be signed now: {error}", request)
