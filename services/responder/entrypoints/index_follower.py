"""Every replica's check index follows the department's change feed (index_feed.py).

At start the replica loads a snapshot of the index together with the feed position it
includes, then reads every change committed since, whoever committed it: a NOTIFY at each
commit wakes it at once, and it also looks every `INDEX_POLL_INTERVAL_S` in case a
notification was lost with a connection. For each change it re-reads the measures in force of
the subjects named from the database and replaces their whole entries, so a change read late
or twice still leaves the entry as the database has it. A replica that fell behind the feed's
retention (the horizon moved past its position) loads a new snapshot. It reports ready only
once it has caught up, and every check answer says how fresh its index is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from services.responder.adapters import index_feed
from services.responder.adapters.index_feed import Change
from services.responder.adapters.index_loader import load_catalogue, load_snapshot, load_subjects
from services.responder.metrics import (
    INDEX_CHANGES,
    INDEX_SEQUENCE,
    INDEX_STALENESS,
    INDEXED_SUBJECTS,
)
from services.responder.state import ResponderState
from shared.stopping import sleep_unless_stopped, wait_for_either

log = logging.getLogger(__name__)

PURGE_EVERY_S = 300.0


@dataclass
class IndexFollower:
    state: ResponderState
    _loaded_sequence: int | None = field(default=None, init=False)
    _next_purge: float = field(default=0.0, init=False)

    async def run(self, stop: asyncio.Event) -> None:
        if not await self._catalogue_held(stop):
            return
        INDEXED_SUBJECTS.labels(self.state.department).set_function(lambda: len(self.state.index))
        while not stop.is_set():
            try:
                connection = await asyncpg.connect(self.state.settings.plain_database_url)
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("check index feed unreachable", extra={"error": repr(error)})
                await sleep_unless_stopped(stop, 1.0)
                continue
            try:
                await connection.add_listener(index_feed.CHANNEL, self._wake)
                await self._follow(connection, stop)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("check index feed interrupted", extra={"error": repr(error)})
                await sleep_unless_stopped(stop, 1.0)
            finally:
                connection.terminate() if connection.is_closed() else await _close(connection)

    def _wake(self, *_: object) -> None:
        self.state.index_changed.set()

    async def _catalogue_held(self, stop: asyncio.Event) -> bool:
        held = asyncio.ensure_future(self.state.catalogue_held.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([held, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            held.cancel()
            stopped.cancel()
        return not stop.is_set()

    async def _follow(self, connection: asyncpg.Connection, stop: asyncio.Event) -> None:
        settings = self.state.settings
        if self._loaded_sequence is None:
            await self._load(connection)
        while not stop.is_set():
            self.state.index_changed.clear()
            if await index_feed.purged_through(connection) > self.state.freshness.sequence:
                log.warning(
                    "the change feed was purged past this replica's position; reloading",
                    extra={"sequence": self.state.freshness.sequence},
                )
                await self._load(connection)
                continue
            if await self._apply_pending(connection):
                self.state.freshness.confirmed(datetime.now(UTC))
                await self._purge_now_and_then(connection)
                await wait_for_either(
                    self.state.index_changed, stop, settings.index_poll_interval_s
                )

    async def _load(self, connection: asyncpg.Connection) -> None:
        catalogue = self.state.catalogue
        assert catalogue is not None
        started = time.monotonic()
        snapshot = await load_snapshot(connection, catalogue, self.state.settings.index_load_batch)
        if snapshot.catalogue is not None:
            self.state.hold_catalogue(snapshot.catalogue)
        self.state.adopt_index(snapshot.index)
        self.state.freshness.loaded(snapshot.sequence)
        self._loaded_sequence = snapshot.sequence
        INDEX_SEQUENCE.labels(self.state.department).set(snapshot.sequence)
        log.info(
            "check index loaded",
            extra={
                "subjects": len(snapshot.index),
                "sequence": snapshot.sequence,
                "seconds": round(time.monotonic() - started, 2),
            },
        )

    async def _apply_pending(self, connection: asyncpg.Connection) -> bool:
        """Apply the changes committed since the position; True when none is left."""
        batch = self.state.settings.index_feed_batch
        changes = await index_feed.changes_since(connection, self.state.freshness.sequence, batch)
        if not changes:
            return True
        await self._apply(connection, changes)
        return len(changes) < batch

    async def _apply(self, connection: asyncpg.Connection, changes: list[Change]) -> None:
        newest_catalogue = max((c.catalogue_version or 0 for c in changes), default=0)
        held = self.state.catalogue
        if held is not None and newest_catalogue > held.version:
            catalogue = await load_catalogue(connection)
            if catalogue is not None:
                self.state.hold_catalogue(catalogue)
        subjects = {subject for change in changes for subject in change.subject_ids}
        if subjects:
            index = self.state.index
            for subject_id, packed in (await load_subjects(connection, index, subjects)).items():
                index.set_entry(subject_id, packed)
        last = changes[-1]
        self.state.freshness.applied(last.sequence, last.changed_at)
        self._observe_staleness(changes)
        INDEX_CHANGES.labels(self.state.department).inc(len(changes))
        INDEX_SEQUENCE.labels(self.state.department).set(last.sequence)

    def _observe_staleness(self, changes: list[Change]) -> None:
        now = datetime.now(UTC)
        department = self.state.department
        for change in changes:
            origin = "self" if change.written_by == index_feed.WRITER else "other"
            seconds = max((now - change.changed_at).total_seconds(), 0.0)
            INDEX_STALENESS.labels(department, origin).observe(seconds)

    async def _purge_now_and_then(self, connection: asyncpg.Connection) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + PURGE_EVERY_S
        await index_feed.purge(connection, self.state.settings.index_feed_retention_hours * 3600)


async def _close(connection: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(connection.close(), 2)
    except (OSError, asyncpg.InterfaceError, TimeoutError):
        connection.terminate()
