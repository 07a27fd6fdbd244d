"""Rate limits (the `limits` library, moving windows): 429 problem+json with `Retry-After`.

Counters live in memory, one store per process: each replica of a service counts on its own,
so N replicas behind a balancer admit up to N times a limit, and a restart forgets the counts.
A limit is written as `limits` writes them: `60/minute`, `10/second;300/hour`; empty: none.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from shared.web.problems import Problem


def parse_limits(text: str) -> list[RateLimitItem]:
    """The limits of a setting (ValueError when it is not `N/second|minute|hour|day`, `;`-joined)."""
    return parse_many(text) if text.strip() else []


def check_limits(text: str) -> str:
    """A settings validator: the text if every limit in it parses."""
    parse_limits(text)
    return text


class RateLimiter:
    """Counts calls per (scope, key) against the limits of `text`; no limits admit everything."""

    def __init__(self, text: str) -> None:
        self.items = parse_limits(text)
        self._window = MovingWindowRateLimiter(MemoryStorage())

    async def admit(self, scope: str, key: str, *, who: str) -> None:
        """Count one call of `key` in `scope`, or raise 429 naming the limit and when to retry."""
        for item in self.items:
            if await self._window.hit(item, scope, key):
                continue
            stats = await self._window.get_window_stats(item, scope, key)
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise Problem(
                429,
                f"too many requests from {who}: the limit is {item}; retry after {retry_after} s",
                title="Too many requests",
                headers={"Retry-After": str(retry_after)},
                limit=str(item),
                retry_after_s=retry_after,
            )
