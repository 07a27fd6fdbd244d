"""Building the check index from the database at start-up.

Rows are streamed through a server-side cursor on a plain asyncpg connection (no ORM objects),
so a million designations load in constant memory besides the index itself.
"""

from __future__ import annotations

import asyncpg

from services.responder.domain.check_index import CheckIndex, MeasureSetKey
from services.responder.settings import ResponderSettings
from shared.catalogue import Catalogue

_IN_FORCE = """
SELECT d.id, d.version, d.memorandum_code, d.list_type, d.period_start, d.period_end,
       d.subject_id, t.target_id, t.target_role, t.measure_codes
FROM measure_targets t JOIN designations d ON d.id = t.designation_id
WHERE t.state = 'in_force'
"""


async def load_index(settings: ResponderSettings, catalogue: Catalogue) -> CheckIndex:
    index = CheckIndex()
    index.bind(catalogue)
    connection = await asyncpg.connect(settings.plain_database_url)
    try:
        async with connection.transaction(readonly=True, isolation="repeatable_read"):
            cursor = connection.cursor(_IN_FORCE, prefetch=settings.index_load_batch)
            numbers: dict[tuple[str, str, str, tuple[str, ...]], int] = {}
            async for row in cursor:
                role = row[8]
                raw_key = (row[2], row[3], role, tuple(row[9]))
                number = numbers.get(raw_key)
                if number is None:
                    number = numbers[raw_key] = index.set_number(MeasureSetKey(*raw_key))
                organisation = None if role == "subject" else row[6]
                index.add(row[7], index.pack(row[0], row[1], number, row[4], row[5], organisation))
    finally:
        await connection.close()
    return index
