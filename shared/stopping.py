"""Waiting that ends early when a worker is told to stop, and how a stop's time is shared.

A service told to stop (SIGTERM, SIGINT) has `STOP_TIMEOUT_S` in all: first the requests in
flight, then the workers (each consumer finishes and commits the batch in hand), then the relay
publishes what they wrote; what is still running at the end is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def wait_for_either(wake: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """Return when `wake` or `stop` is set, or after `seconds`."""
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


DEFAULT_STOP_TIMEOUT_S = 20.0
"""`STOP_TIMEOUT_S` unless set: a service's whole graceful stop, and how long `jointcredit up`
waits for its services before it SIGKILLs what is left."""

EXIT_MARGIN_S = 1.5
"""Kept back from the workers' share: cancelling, closing the pools, leaving the process."""

CANCEL_WAIT_S = 1.0
"""How long cancelled work may take to unwind (a task may swallow its cancellation)."""


def request_drain_s(stop_timeout_s: float) -> float:
    """The requests' share of a stop: uvicorn answers those in flight, then closes."""
    return stop_timeout_s / 4


def worker_stop_s(stop_timeout_s: float) -> float:
    """The workers' share of a stop, after the requests' share."""
    return max(stop_timeout_s - request_drain_s(stop_timeout_s) - EXIT_MARGIN_S, 0.5)


def stop_timeout_s() -> float:
    """`STOP_TIMEOUT_S` for a process that has no service settings (`jointcredit up`)."""
    return float(os.environ.get("STOP_TIMEOUT_S") or DEFAULT_STOP_TIMEOUT_S)
