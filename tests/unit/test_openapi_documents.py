"""docs/openapi/*.json are what the services serve: regenerate with `jointcredit openapi`."""

from __future__ import annotations

import pytest

from jointcredit.openapi_documents import DOCS_DIR, document, rendered
from jointcredit.service_index import SERVICES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", list(SERVICES))
def test_the_committed_document_is_current(service: str) -> None:
    committed = (DOCS_DIR / f"{service}.json").read_text(encoding="utf-8")
    assert committed == rendered(service), (
        f"docs/openapi/{service}.json is stale: run `.venv/bin/jointcredit openapi`"
    )


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_operation_is_described(service: str) -> None:
    paths = document(service)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
