"""Which failures mean "the database cannot be reached" (wait) rather than "this is wrong"."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from sqlalchemy.exc import DBAPIError, OperationalError

from shared.connectivity import unreachable

pytestmark = pytest.mark.unit


def _caused(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        raise outer from inner
    except BaseException as error:
        return error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connection refused"),
        ConnectionResetError(104, "Connection reset by peer"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        OperationalError("SELECT 1", {}, asyncpg.ConnectionDoesNotExistError("closed")),
        DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True),
        _caused(RuntimeError("handler failed"), ConnectionResetError(104, "reset")),
    ],
)
def test_lost_database_connections_are_unreachable(error: BaseException) -> None:
    assert unreachable(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad data"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
        DBAPIError("INSERT", {}, Exception("invalid byte sequence"), connection_invalidated=False),
        _caused(httpx.ConnectError("registry down"), ConnectionRefusedError(111, "refused")),
        _caused(
            RuntimeError("catalogue unavailable"),
            _caused(httpx.ConnectError("registry down"), ConnectionRefusedError(111, "refused")),
        ),
    ],
)
def test_errors_of_the_data_or_of_other_services_are_not(error: BaseException) -> None:
    assert not unreachable(error)
