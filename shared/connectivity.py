"""Telling "the database cannot be reached" apart from "this request or message is wrong".

A consumer must not dead-letter a message because PostgreSQL is restarting, nor may an API
answer such a moment with a 500: both are the infrastructure's state, and they pass.
"""

from __future__ import annotations

import asyncpg
import httpx
from sqlalchemy.exc import DBAPIError

_UNREACHABLE = (
    ConnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


def unreachable(error: BaseException) -> bool:
    """Whether `error`, or an error that caused it, is a database connection that could not be
    made or was lost (PostgreSQL down or restarting, also as SQLAlchemy reports it); not an
    error of the statement or of the data. Another service not answering over HTTP is not
    counted: the caller decides (retry, or fail the message)."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen or isinstance(current, httpx.HTTPError):
            continue
        seen.add(id(current))
        if isinstance(current, _UNREACHABLE):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        orig = getattr(current, "orig", None)
        pending += [current.__cause__, current.__context__]
        if isinstance(orig, BaseException):
            pending.append(orig)
    return False
