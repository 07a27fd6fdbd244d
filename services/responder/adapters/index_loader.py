"""Building the check index from the database: whole at start-up, by subject as it changes.

Rows are streamed through a server-side cursor on a plain asyncpg connection (no ORM objects),
so a million designations load in constant memory besides the index itself. The snapshot is
read in one repeatable-read transaction together with the newest change of the feed it
includes (index_feed.py), so following the feed from there misses nothing and skips nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg
import orjson

from services.responder.adapters import index_feed
from services.responder.domain.check_index import CheckIndex, MeasureSetKey
from shared.catalogue import Catalogue

_IN_FORCE = """
SELECT d.id, d.version, d.memorandum_code, d.list_type, d.period_start, d.period_end,
       d.subject_id, t.target_id, t.target_role, t.measure_codes
FROM measure_targets t JOIN designations d ON d.id = t.designation_id
WHERE t.state = 'in_force'
"""
_IN_FORCE_FOR = _IN_FORCE + " AND t.target_id = ANY($1::text[])"
_CATALOGUE = "SELECT version, document FROM catalogue_state WHERE id = 1"


class _Packer:
    """Packs rows of `_IN_FORCE` into index records, numbering each measure set once."""

    def __init__(self, index: CheckIndex) -> None:
        self.index = index
        self._numbers: dict[tuple[str, str, str, tuple[str, ...]], int] = {}

    def pack(self, row: asyncpg.Record) -> tuple[str, bytes]:
        role = row[8]
        raw_key = (row[2], row[3], role, tuple(row[9]))
        number = self._numbers.get(raw_key)
        if number is None:
            number = self._numbers[raw_key] = self.index.set_number(MeasureSetKey(*raw_key))
        organisation = None if role == "subject" else row[6]
        return row[7], self.index.pack(row[0], row[1], number, row[4], row[5], organisation)


@dataclass(frozen=True)
class Snapshot:
    index: CheckIndex
    sequence: int
    """the newest change of the feed the snapshot includes"""
    catalogue: Catalogue | None


async def load_snapshot(
    connection: asyncpg.Connection, catalogue: Catalogue, batch: int
) -> Snapshot:
    """The whole index as of one moment, bound to the newer of `catalogue` and the stored one."""
    async with connection.transaction(readonly=True, isolation="repeatable_read"):
        sequence = await index_feed.last_sequence(connection)
        stored = await load_catalogue(connection)
        if stored is not None and stored.version > catalogue.version:
            catalogue = stored
        index = CheckIndex()
        index.bind(catalogue)
        packer = _Packer(index)
        async for row in connection.cursor(_IN_FORCE, prefetch=batch):
            index.add(*packer.pack(row))
    return Snapshot(index, sequence, stored)


async def load_subjects(
    connection: asyncpg.Connection, index: CheckIndex, subject_ids: Iterable[str]
) -> dict[str, bytes]:
    """The packed entries of these subjects as the database has them now (b"" for none)."""
    wanted = list(subject_ids)
    entries: dict[str, bytes] = dict.fromkeys(wanted, b"")
    packer = _Packer(index)
    for row in await connection.fetch(_IN_FORCE_FOR, wanted):
        subject_id, record = packer.pack(row)
        entries[subject_id] += record
    return entries


async def load_catalogue(connection: asyncpg.Connection) -> Catalogue | None:
    row = await connection.fetchrow(_CATALOGUE)
    if row is None:
        return None
    document = row[1] if isinstance(row[1], dict) else orjson.loads(row[1])
    return Catalogue.from_document(document, row[0])
