"""The README's run command: every service up, the demo scenario, a report that matches it."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid

import pytest

from jointcredit.infra.manager import InfraStatus
from jointcredit.layout import Layout
from jointcredit.service_index import DEMO_RESPONDERS
from shared.persistence.database import drop_database
from tests.support.processes import REPO

pytestmark = pytest.mark.e2e


def test_up_once_runs_the_scenario_and_every_expectation_holds(infra: InfraStatus) -> None:
    namespace = f"up{uuid.uuid4().hex[:8]}"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "jointcredit.cli", "up", "--once", "--namespace", namespace],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        _drop_namespace(infra, namespace)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    for label in (
        "registry",
        "initiator",
        "feedback",
        *(f"responder-{d}" for d in DEMO_RESPONDERS),
    ):
        assert re.search(rf"{label}\s+http://127\.0\.0\.1:\d+\s+ready", output), label
    held = re.search(r"(\d+) of (\d+) expectations held", output)
    assert held, output
    assert held.group(1) == held.group(2)
    assert int(held.group(2)) >= 20
    assert "跟踪问效" in output
    assert "税务" in output
    assert "designations unanswered" in output
    assert "/dashboard" in output
    assert "services stopped" in output


def _drop_namespace(infra: InfraStatus, namespace: str) -> None:
    assert infra.database_url
    layout = Layout(namespace, DEMO_RESPONDERS)

    async def drop() -> None:
        for service in ("registry", "initiator", "feedback"):
            await drop_database(infra.database_url or "", layout.database(service))
        for department in DEMO_RESPONDERS:
            await drop_database(infra.database_url or "", layout.database("responder", department))

    asyncio.run(drop())
