"""The four services as fuzzing targets: each started with the data its routes need and a
valid token of a department that may act (all roles, so that the handlers are reached).

A target is entered on the fuzzing loop's thread with an `AsyncExitStack` (closed afterwards:
the service stops and its database is dropped) and returns (app, ASGI client, token headers).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from shared.auth.principal import Role
from tests.support.auth import TestAuthority
from tests.support.feedback import running_feedback
from tests.support.initiator import InitiatorHarness
from tests.support.registry import running_registry
from tests.support.responder import ResponderHarness

ALL_ROLES = (Role.admin, Role.initiator, Role.responder, Role.oversight)

Target = Callable[[AsyncExitStack], Coroutine[Any, Any, tuple[Any, Any, dict[str, str]]]]


def registry_target(database_url: str, bootstrap: str) -> Target:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        registry = await stack.enter_async_context(running_registry(database_url, bootstrap))
        await registry.seed()
        return registry.app, registry.client, await registry.admin_headers()

    return start


def initiator_target(
    database_url: str, bootstrap: str, authority: TestAuthority, **overrides: Any
) -> Target:
    """`overrides`: the initiator's settings (rate limits, say)."""

    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        harness = InitiatorHarness(database_url, bootstrap, authority, schedule=False, **overrides)
        initiator = await stack.enter_async_context(harness)
        await initiator.designate()
        return initiator.app, initiator.client, authority.headers("court", *ALL_ROLES)

    return start


def responder_target(database_url: str, bootstrap: str, authority: TestAuthority) -> Target:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        responder = await stack.enter_async_context(
            ResponderHarness(database_url, bootstrap, authority, "court")
        )
        await responder.ready()
        return responder.app, responder.client, authority.headers("court", *ALL_ROLES)

    return start


def feedback_target(database_url: str, bootstrap: str, authority: TestAuthority) -> Target:
    async def start(stack: AsyncExitStack) -> tuple[Any, Any, dict[str, str]]:
        service = await stack.enter_async_context(
            running_feedback(database_url, bootstrap, authority, run_consumer=False)
        )
        return service.app, service.client, authority.headers("oversight", *ALL_ROLES)

    return start
