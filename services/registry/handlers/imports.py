"""Catalogue files in and out: an import is all or nothing, and publishes one new version."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from services.registry.domain.catalogue import CatalogueState
from services.registry.domain.sheet_reading import RowError
from services.registry.domain.spreadsheet import (
    ImportMode,
    SheetResult,
    department_table,
    measure_table,
    read_departments,
    read_measures,
)
from services.registry.handlers.catalogue import CatalogueReader, Publication, publish
from services.registry.handlers.errors import ImportRejected
from shared.audit.entries import Actor
from shared.persistence.unit_of_work import UnitOfWork
from shared.tabular import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Row,
    TabularError,
    TabularFormat,
    read_rows,
    sniff_format,
    write_csv,
    write_xlsx,
)


class Sheet(StrEnum):
    measures = "measures"
    departments = "departments"


@dataclass(frozen=True)
class ImportOutcome:
    publication: Publication
    rows: int
    dry_run: bool


def file_rows(content: bytes, filename: str | None) -> list[Row]:
    try:
        return list(read_rows(io.BytesIO(content), sniff_format(content[:8], filename)))
    except TabularError as error:
        raise ImportRejected([RowError(1, "", str(error))]) from error


async def import_sheet(
    uow: UnitOfWork,
    reader: CatalogueReader,
    topic: str,
    sheet: Sheet,
    content: bytes,
    filename: str | None,
    *,
    by: Actor,
    mode: ImportMode = ImportMode.merge,
    dry_run: bool = False,
) -> ImportOutcome:
    """Validate every row against the latest catalogue; publish the result (a new version when
    anything changed), or raise ImportRejected with every error and publish nothing."""
    rows = file_rows(content, filename)
    read: Callable[[CatalogueState], SheetResult] = (
        (lambda state: read_measures(rows, state, mode))
        if sheet is Sheet.measures
        else (lambda state: read_departments(rows, state))
    )

    def edit(state: CatalogueState) -> CatalogueState:
        result = read(state)
        if result.errors:
            raise ImportRejected(result.errors)
        return result.state

    publication = await publish(
        uow,
        reader,
        topic,
        edit,
        by=by,
        note=f"import of {sheet.value} from {_printable(filename or '') or 'a file'}",
        dry_run=dry_run,
    )
    if not dry_run:
        await uow.commit()
    return ImportOutcome(publication, len(rows), dry_run)


def _printable(name: str) -> str:
    return "".join(c for c in name if c.isprintable())[:200]


def export_sheet(
    state: CatalogueState, sheet: Sheet, file_format: TabularFormat, memorandum: str | None = None
) -> tuple[bytes, str]:
    """The file's bytes and media type."""
    header, rows = (
        measure_table(state, memorandum) if sheet is Sheet.measures else department_table(state)
    )
    if file_format is TabularFormat.xlsx:
        title = "联合奖惩措施清单" if sheet is Sheet.measures else "部门"
        return write_xlsx(header, rows, title=title), XLSX_MEDIA_TYPE
    return write_csv(header, rows), CSV_MEDIA_TYPE
