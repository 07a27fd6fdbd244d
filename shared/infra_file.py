"""The file where `jointcredit infra up` records the connection settings of the embedded infra."""

from __future__ import annotations

import os
from pathlib import Path


def infra_env_file() -> Path:
    home = os.environ.get("JOINTCREDIT_HOME")
    base = Path(home) if home else Path(__file__).resolve().parents[1] / ".jointcredit"
    return base / "infra.env"
