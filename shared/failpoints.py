"""Named fault-injection points for the reliability tests (off unless configured).

`JOINTCREDIT_FAILPOINTS="consumer.after_db_commit=kill"` makes the process SIGKILL itself when
it reaches that point, so a test can stop it exactly between two steps. The points:
`consumer.after_db_commit` (a batch is applied, its offsets not yet committed) and
`relay.after_publish` (a batch is on the broker, its outbox rows not yet marked sent).
"""

from __future__ import annotations

import os
import signal
from functools import cache


@cache
def _configured() -> dict[str, str]:
    raw = os.environ.get("JOINTCREDIT_FAILPOINTS", "")
    pairs = (item.split("=", 1) for item in raw.split(",") if "=" in item)
    return {name.strip(): action.strip() for name, action in pairs}


def reach(name: str) -> None:
    if not _configured():
        return
    if _configured().get(name) == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
