"""`--help` answers for every operator command, and says what the command does."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from jointcredit.cli import app

pytestmark = pytest.mark.unit


def _command_paths(command: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*prefix, name))
    return paths


PATHS = _command_paths(typer.main.get_command(app))


def test_the_operator_commands_are_all_there() -> None:
    names = {" ".join(path) for path in PATHS}
    for expected in (
        "infra up",
        "migrate",
        "seed",
        "serve",
        "up",
        "relay",
        "credentials issue",
        "credentials rotate-key",
        "import designations",
        "report summary",
        "report overdue",
        "outbox status",
        "outbox requeue",
        "report typical-cases",
        "openapi",
    ):
        assert expected in names


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "jointcredit")
def test_help_answers(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_report_without_a_platform_says_where_to_look(tmp_path: object) -> None:
    result = CliRunner().invoke(app, ["report", "summary"], env={"JOINTCREDIT_HOME": str(tmp_path)})
    assert result.exit_code == 1
    assert "jointcredit up" in result.output
