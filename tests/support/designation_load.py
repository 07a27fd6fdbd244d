"""Designations flowing through the initiator's REST API while a fault happens.

Each script designates one subject and then, for about half of them, takes it through a
lifecycle: an objection rejected (resumed) or upheld (corrected / revoked), a repair approved, a
revocation, an extension. Requests are retried with the same `Idempotency-Key` after a
connection error or a 5xx (the initiator or its database may be down): a retry after a lost
answer replays it instead of acting twice. Any other unexpected answer is recorded as an error.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.initiator import designation_body, legal_representative

BLACK_PLANS = {
    "plain": 50,
    "objection_rejected": 10,
    "objection_corrected": 8,
    "objection_revoked": 6,
    "repair": 10,
    "revocation": 8,
    "extension": 8,
}
RED_PLANS = {"plain": 60, "objection_rejected": 15, "revocation": 15, "extension": 10}
RETRY_FOR_S = 120.0


class LoadError(AssertionError):
    """The initiator answered something a retry cannot explain."""


@dataclass
class LoadFigures:
    designations: int = 0
    transitions: int = 0
    requests: int = 0
    retried: int = 0
    replayed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass
class DesignationLoad:
    initiator_url: str
    headers: Callable[[str], dict[str, str]]
    seed: int = 10
    figures: LoadFigures = field(default_factory=LoadFigures)
    other_urls: tuple[str, ...] = ()
    """further replicas of the initiator: requests go round them, and a retry goes to the next
    one, as behind a load balancer (the Idempotency-Key is shared by every replica)"""

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self._urls = itertools.cycle((self.initiator_url, *self.other_urls))

    @asynccontextmanager
    async def flowing(
        self, *, every_s: float = 0.15, concurrency: int = 6, at_least: int = 5
    ) -> AsyncIterator[None]:
        """Start a script every `every_s` (at most `concurrency` in flight) until the block
        ends and at least `at_least` were started; then wait for every script to finish."""
        stop = asyncio.Event()
        started = 0
        slots = asyncio.Semaphore(concurrency)
        scripts: set[asyncio.Task[None]] = set()

        async def one() -> None:
            try:
                await self.script()
            except LoadError as error:
                self.figures.errors.append(str(error))
            finally:
                slots.release()

        async def feed() -> None:
            nonlocal started
            while not stop.is_set() or started < at_least:
                await slots.acquire()
                task = asyncio.create_task(one())
                scripts.add(task)
                task.add_done_callback(scripts.discard)
                started += 1
                await asyncio.sleep(every_s)

        async with httpx.AsyncClient(timeout=15) as self.http:
            feeder = asyncio.create_task(feed())
            try:
                yield
            finally:
                stop.set()
                await feeder
                if scripts:
                    await asyncio.gather(*list(scripts))

    async def script(self) -> None:
        red = self.random.random() < 0.2
        plans = RED_PLANS if red else BLACK_PLANS
        plan = self.random.choices(list(plans), weights=list(plans.values()))[0]
        if red:
            initiator = "tax"
            body = designation_body(memorandum_code="tax_credit_a", list_type="red")
        else:
            initiator = "court"
            person = self.random.random() < 0.3
            persons = [] if person or self.random.random() < 0.5 else [legal_representative()]
            body = designation_body(
                kind="person" if person else "organisation", responsible_persons=persons
            )
        created = await self.create(initiator, body)
        self.figures.designations += 1
        if plan == "plain":
            return
        await asyncio.sleep(self.random.uniform(0.05, 0.4))
        designation = f"/v1/designations/{created['id']}"
        if plan.startswith("objection"):
            objection = await self.call(
                "POST",
                f"{designation}/objections",
                initiator,
                {"grounds": "主体信息有误,申请核实", "evidence": ["营业执照复印件"]},
            )
            self.figures.transitions += 1
            await asyncio.sleep(self.random.uniform(0.05, 0.4))
            decision: dict[str, Any] = {"outcome": "rejected", "note": "经核实,认定无误"}
            if plan != "objection_rejected":
                resolution = plan.removeprefix("objection_")
                decision = {"outcome": "upheld", "resolution": resolution, "note": "异议成立"}
            await self.call(
                "POST", f"/v1/objections/{objection['id']}/decision", initiator, decision
            )
        elif plan == "repair":
            repair = await self.call(
                "POST",
                f"{designation}/repairs",
                initiator,
                {"statement": "已全部履行生效法律文书确定的义务", "evidence": ["结案通知书"]},
            )
            self.figures.transitions += 1
            await asyncio.sleep(self.random.uniform(0.05, 0.4))
            await self.call(
                "POST", f"/v1/repairs/{repair['id']}/decision", initiator, {"approved": True}
            )
        elif plan == "revocation":
            await self.call("POST", f"{designation}/revocation", initiator, {"reason": "认定错误"})
        else:
            end = body["period_end"]
            later = f"{int(end[:4]) + 1}{end[4:]}"
            await self.call(
                "POST",
                f"{designation}/extension",
                initiator,
                {"period_end": later, "reason": "延长惩戒期限"},
            )
        self.figures.transitions += 1

    async def create(self, client: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self.call("POST", "/v1/designations", client, body)
        except _Conflict as conflict:
            # The same (department, 文号, subject) exists: an earlier try was recorded although
            # its answer was lost together with its idempotency key's reservation.
            existing = conflict.body.get("existing_designation_id")
            if not existing:
                raise LoadError(f"designation refused: {conflict.body}") from None
            return await self.call("GET", f"/v1/designations/{existing}", client, None)

    async def call(
        self, method: str, path: str, client: str, body: dict[str, Any] | None
    ) -> dict[str, Any]:
        key = uuid.uuid4().hex
        deadline = time.monotonic() + RETRY_FOR_S
        while True:
            self.figures.requests += 1
            try:
                response = await self.http.request(
                    method,
                    f"{next(self._urls)}{path}",
                    json=body,
                    headers=self.headers(client) | {"Idempotency-Key": key},
                )
            except httpx.TransportError as error:
                failure = repr(error)
            else:
                if response.status_code < 500:
                    return self._answer(method, path, response)
                failure = f"{response.status_code} {response.text[:200]}"
            if time.monotonic() > deadline:
                raise LoadError(f"{method} {path}: still failing after {RETRY_FOR_S}s: {failure}")
            self.figures.retried += 1
            await asyncio.sleep(0.25)

    def _answer(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        if response.headers.get("Idempotent-Replayed") == "true":
            self.figures.replayed += 1
        body: dict[str, Any] = response.json()
        if response.status_code in (200, 201, 202):
            return body
        if response.status_code == 409 and path == "/v1/designations":
            raise _Conflict(body)
        raise LoadError(f"{method} {path} -> {response.status_code}: {body}")


class _Conflict(Exception):
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(str(body))
        self.body = body
