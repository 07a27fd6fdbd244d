"""Where the embedded infrastructure keeps its data, logs and the connection settings it records."""

from __future__ import annotations

from pathlib import Path

from shared.infra_file import infra_env_file


def state_dir() -> Path:
    """`JOINTCREDIT_HOME`, or `.jointcredit/` at the repository root: where infra.env lives."""
    path = infra_env_file().parent
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
