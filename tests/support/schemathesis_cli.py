"""The schemathesis command line against a service served on a loopback port.

The command runs as a subprocess (its own event loops and threads), so the service keeps its
database pool and broker clients on the test's loop; `--checks all` here is exactly the check
set a tester runs by hand, all phases (examples, coverage, fuzzing, stateful).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = Path(__file__).parents[1] / "integration" / "schemathesis.toml"
"""The exceptions to `--checks all`, each with its reason."""


@dataclass(frozen=True)
class CliRun:
    returncode: int
    output: str

    def tail(self, lines: int = 120) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def run_schemathesis(
    base_url: str,
    headers: dict[str, str],
    *,
    max_examples: int,
    timeout_s: float = 600.0,
) -> CliRun:
    """`schemathesis run --checks all` over `base_url/openapi.json` with `headers` on every
    request; one worker, no shrinking (a failing run reports, it does not minimise)."""
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--workers",
        "1",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        "--no-color",
        "--output-truncate",
        "false",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    return CliRun(done.returncode, done.stdout + done.stderr)
