"""One attempt of the consumer loop to apply messages: its transaction and the work put off
until just before that transaction commits.

A message's inbox row must commit in the transaction that holds every effect of the message: an
inbox row committed without its effect is lost for good, since a re-send under the same event
id is skipped. So the work handlers gather for the commit belongs to the attempt the loop
creates for each transaction (never to the session, whose `info` outlives a transaction), and
the loop commits only once

- every piece of before-commit work has run, including work registered while it ran (a flush
  that hands items on to another gathering, or to one that already flushed);
- every gathered item has been handed to its flush exactly once;
- the session is still in the transaction that claimed the inbox rows: a handler neither
  committed it (refused as it happens) nor rolled it back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

T = TypeVar("T")

Work = Callable[[], Awaitable[None]]


class BatchTransactionError(RuntimeError):
    """The attempt's transaction was committed, rolled back or extended out of order."""


class _Gathering(Generic[T]):
    """Items of one key and their flush; `flushed` of them have been handed to it."""

    def __init__(self, flush: Callable[[list[T]], Awaitable[None]]) -> None:
        self.items: list[T] = []
        self.flush = flush
        self.flushed = 0

    @property
    def behind(self) -> bool:
        return self.flushed < len(self.items)

    async def flush_new(self) -> None:
        start, self.flushed = self.flushed, len(self.items)
        if start < self.flushed:
            await self.flush(self.items[start : self.flushed])


class Attempt:
    """The transaction of one batch (or one message): begun by `begin`, committed by `commit`."""

    def __init__(self, session: AsyncSession, transaction: SessionTransaction) -> None:
        self.session = session
        self._transaction = transaction
        self._gatherings: dict[str, _Gathering[Any]] = {}
        self._before_commit: deque[Work] = deque()
        self._after_commit: list[Callable[[], None]] = []
        self._committing = False
        self._closed = False
        event.listen(session.sync_session, "before_commit", self._refuse_other_commits)

    @classmethod
    async def begin(cls, session: AsyncSession) -> Attempt:
        await session.begin()
        transaction = session.sync_session.get_transaction()
        assert transaction is not None
        return cls(session, transaction)

    def gathered(self, key: str, flush: Callable[[list[T]], Awaitable[None]]) -> list[T]:
        """The list this attempt's handlers add to under `key`; the first call registers
        `flush`, which is handed every item added before the commit (once each)."""
        self._check_open()
        gathering = self._gatherings.get(key)
        if gathering is None:
            gathering = self._gatherings[key] = _Gathering(flush)
            self._before_commit.append(gathering.flush_new)
        return gathering.items

    def before_commit(self, work: Work) -> None:
        self._check_open()
        self._before_commit.append(work)

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    async def commit(self) -> list[Callable[[], None]]:
        """Run the before-commit work until none is left, check the transaction, commit;
        returns the callbacks to run now that it has committed."""
        await self._run_before_commit()
        if self.session.sync_session.get_transaction() is not self._transaction:
            raise BatchTransactionError(
                "the batch's transaction ended before the consumer committed it"
            )
        self._closed = self._committing = True
        await self.session.commit()
        return self._after_commit

    async def _run_before_commit(self) -> None:
        while True:
            while self._before_commit:
                await self._before_commit.popleft()()
            behind = [g for g in self._gatherings.values() if g.behind]
            if not behind:
                return
            self._before_commit.extend(gathering.flush_new for gathering in behind)

    def _check_open(self) -> None:
        if self._closed:
            raise BatchTransactionError("work gathered for a batch that has been committed")

    def _refuse_other_commits(self, session: Session) -> None:
        if not self._committing and session.get_nested_transaction() is None:
            raise BatchTransactionError(
                "only the consumer loop commits a batch's transaction (its inbox rows and the"
                " work gathered for it commit together)"
            )
