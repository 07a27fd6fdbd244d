"""Starting, killing and stopping the real processes in kill tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=None if os.environ.get("JOINTCREDIT_TEST_CHILD_STDERR") else subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def stop(process: subprocess.Popen[str], timeout: float = 30) -> str:
    """SIGTERM, wait for the graceful exit, and return what it printed."""
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=timeout)
    return out
