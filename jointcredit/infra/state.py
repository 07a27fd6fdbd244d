"""Where the embedded infrastructure keeps its data, logs and the connection settings it records."""

from __future__ import annotations

import os
from pathlib import Path

from shared.infra_file import infra_env_file


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def state_dir() -> Path:
    """`JOINTCREDIT_HOME`, or `.jointcredit/` at the repository root."""
    configured = os.environ.get("JOINTCREDIT_HOME")
    path = Path(configured) if configured else repo_root() / ".jointcredit"
    path.mkdir(parents=True, exist_ok=True)
    return path


def env_file() -> Path:
    return infra_env_file()


def read_env_file(path: Path | None = None) -> dict[str, str]:
    path = path or env_file()
    if not path.exists():
        return {}
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def write_env_file(values: dict[str, str], path: Path | None = None) -> Path:
    path = path or env_file()
    body = "".join(f"{key}={value}\n" for key, value in sorted(values.items()))
    path.write_text("# written by `jointcredit infra up`; read by services and tests\n" + body)
    return path
