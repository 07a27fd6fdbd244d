"""Walking a database's chain: every entry re-hashed, every link to the one before checked."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.audit.entries import GENESIS_HASH, Entry, expected_hash
from shared.audit.reading import audit_table, entry_of

_PAGE = 5_000


@dataclass(frozen=True)
class Break:
    sequence: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


def _fault(entry: Entry, sequence: int, previous: str) -> str | None:
    if entry.sequence != sequence:
        return f"entry {sequence} is missing (the next one is {entry.sequence})"
    if entry.previous_hash != previous:
        return "its previous_hash is not the hash of the entry before it"
    if entry.hash != expected_hash(entry):
        return "its hash does not match its fields (the entry was changed)"
    return None


async def verify_chain(connection: AsyncConnection) -> ChainReport:
    """The number of entries, and the first one that breaks the chain (None if intact)."""
    count, previous, after = 0, GENESIS_HASH, 0
    while True:
        page = (
            await connection.execute(
                select(audit_table)
                .where(audit_table.c.sequence > after)
                .order_by(audit_table.c.sequence)
                .limit(_PAGE)
            )
        ).all()
        for row in page:
            entry = entry_of(row._mapping)
            fault = _fault(entry, count + 1, previous)
            if fault is not None:
                return ChainReport(count, Break(entry.sequence, fault))
            count, previous, after = count + 1, entry.hash, entry.sequence
        if len(page) < _PAGE:
            return ChainReport(count, None)
