"""The run command brings every service up against the real infrastructure and reports it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jointcredit.infra.manager import InfraStatus
from tests.support.processes import REPO

pytestmark = pytest.mark.e2e


def test_up_once_reports_every_service_ready(infra: InfraStatus) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jointcredit.cli", "up", "--once"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for label in (
        "registry",
        "initiator",
        "feedback",
        "responder-court",
        "responder-market",
        "responder-finance",
    ):
        assert label in done.stdout
    assert done.stdout.count(" ready") == 6
    assert "all services healthy" in done.stdout
