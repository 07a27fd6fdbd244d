"""Whether the process a pid file names still runs: a port that answers may be someone else's."""

from __future__ import annotations

import os
from pathlib import Path


def recorded_pid(pid_file: Path) -> int | None:
    """The first line of a pid file (PostgreSQL's `postmaster.pid` starts with it)."""
    try:
        first = pid_file.read_text().split("\n", 1)[0].strip()
    except OSError:
        return None
    return int(first) if first.isdigit() else None


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_a_zombie(pid)


def _not_a_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
