"""Bulk import of designations from CSV or XLSX: streamed, checked row by row, idempotent.

The upload is copied to a spool file in chunks; rows are then read one by one (`shared.tabular`)
and written in batches, each batch one transaction holding its designations, history rows,
events, per-row report and progress counters. Memory stays flat whatever the file's size.
Importing the same file again creates nothing: (department, 文号, subject) is unique, so its rows
are reported as `already_present`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from services.initiator.adapters import designations_repo, imports_repo
from services.initiator.domain import fields
from services.initiator.domain.designation import NewDesignation
from services.initiator.domain.import_columns import (
    ColumnMap,
    HeaderError,
    RowContext,
    RowError,
    parse_row,
)
from services.initiator.domain.lifecycle import Action
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.designations import current_catalogue, new_row
from services.initiator.handlers.recording import (
    Actor,
    add_history,
    designation_event,
    history_row,
    now,
)
from shared.audit.appending import append
from shared.audit.entries import Act
from shared.delivery.outbox import OutgoingEvent, add_events
from shared.events.designations import DesignationEventType, DesignationState, ListType
from shared.tabular import Row, TabularError, TabularFormat, read_rows, sniff_format
from shared.web.problems import Problem

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ImportJob:
    import_id: uuid.UUID
    path: Path
    file_format: TabularFormat
    department: str
    client_id: str
    default_memorandum: str | None = None
    default_list_type: ListType | None = None

    @property
    def defaults(self) -> list[str]:
        given = [
            ("memorandum_code", self.default_memorandum),
            ("list_type", self.default_list_type),
        ]
        return [name for name, value in given if value]


@dataclass
class PreparedRow:
    number: int
    draft: NewDesignation
    values: dict[str, Any]
    state: DesignationState
    event: OutgoingEvent


@dataclass
class PreparedBatch:
    rows_read: int = 0
    valid: list[PreparedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_rows: int = 0


def spool(source: IO[bytes], directory: Path | None, max_bytes: int) -> tuple[Path, int, str]:
    """Copy an upload to a file of its own in chunks; (path, size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept beyond this function
        prefix="import-", dir=directory, delete=False
    )
    path = Path(handle.name)
    try:
        with handle:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise Problem(413, f"the file is larger than {max_bytes} bytes")
                digest.update(chunk)
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, size, digest.hexdigest()


def _head(path: Path) -> bytes:
    with path.open("rb") as binary:
        return binary.read(8)


def check_header(path: Path, file_format: TabularFormat, defaults: list[str]) -> ColumnMap:
    """Read the header and the first row: the file must be tabular, with the needed columns."""
    with path.open("rb") as binary:
        rows = read_rows(binary, file_format)
        try:
            first = next(rows, None)
        finally:
            rows.close()  # type: ignore[attr-defined]
    if first is None:
        raise TabularError("the file has a header but no rows")
    return ColumnMap.from_header(first.values.keys(), defaults)


class BatchReader:
    """Reads and checks rows batch by batch (called in a worker thread, one call at a time)."""

    def __init__(self, context: InitiatorContext, job: ImportJob, row_context: RowContext) -> None:
        self.context = context
        self.job = job
        self.row_context = row_context
        self.columns: ColumnMap | None = None
        self._binary = job.path.open("rb")
        self._rows: Iterator[Row] = read_rows(self._binary, job.file_format)

    def close(self) -> None:
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        self._binary.close()

    def next_batch(self) -> PreparedBatch | None:
        size = self.context.settings.import_batch_size
        batch = PreparedBatch()
        at = now()
        for row in self._rows:
            if self.columns is None:
                self.columns = ColumnMap.from_header(row.values.keys(), self.job.defaults)
            batch.rows_read += 1
            self._prepare(row, batch, at)
            if batch.rows_read >= size:
                break
        return batch if batch.rows_read else None

    def _prepare(self, row: Row, batch: PreparedBatch, at: Any) -> None:
        assert self.columns is not None
        parsed = parse_row(row.number, row.values, self.columns, self.row_context)
        if isinstance(parsed, list):
            batch.errors.extend(parsed)
            batch.error_rows += 1
            return
        designation_id = uuid.uuid4()
        state = parsed.initial_state(designation_id)
        batch.valid.append(
            PreparedRow(
                number=row.number,
                draft=parsed,
                values=new_row(self.context, parsed, designation_id, at, self.job.import_id),
                state=state,
                event=designation_event(
                    self.context.settings, state, DesignationEventType.initiated
                ),
            )
        )


async def write_batch(context: InitiatorContext, job: ImportJob, batch: PreparedBatch) -> None:
    """One transaction: new designations, their history and events, the report, the counters."""
    actor = Actor("department", job.department, job.client_id)
    async with context.unit_of_work() as uow:
        session = uow.session
        inserted = await designations_repo.insert_new(session, [r.values for r in batch.valid])
        created = [r for r in batch.valid if r.values["id"] in inserted]
        present = [r for r in batch.valid if r.values["id"] not in inserted]
        existing = await designations_repo.ids_by_natural_key(
            session, [r.draft.natural_key for r in present]
        )
        note = f"import {job.import_id}"
        await add_history(
            session,
            [
                history_row(r.state, Action.initiate, r.event, r.values["created_at"], actor, note)
                for r in created
            ],
            actor,
        )
        await add_events(session, [r.event for r in created])
        report: list[dict[str, Any]] = [
            _entry(job, r.number, "created", r.values["id"]) for r in created
        ]
        report += [
            _entry(job, r.number, "already_present", existing.get(r.draft.natural_key))
            for r in present
        ]
        report += [
            _entry(job, e.row, "error", None, column=e.column, message=e.message)
            for e in batch.errors
        ]
        report.sort(key=lambda entry: entry["row"])
        await imports_repo.add_report(session, report)
        await imports_repo.progress(
            session,
            job.import_id,
            rows_read=batch.rows_read,
            created=len(created),
            duplicates=len(present),
            errors=batch.error_rows,
        )
        await uow.commit()


def _entry(
    job: ImportJob,
    row: int,
    outcome: str,
    designation_id: uuid.UUID | None,
    column: str | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    return {
        "import_id": job.import_id,
        "row": row,
        "outcome": outcome,
        "designation_id": designation_id,
        "column": column,
        "message": message,
    }


async def run_import(context: InitiatorContext, job: ImportJob, stop: asyncio.Event) -> str:
    """Import every row; returns the final state (completed, failed or interrupted)."""
    async with context.unit_of_work() as uow:
        catalogue = await current_catalogue(context, uow.session)
    row_context = RowContext(
        catalogue, job.department, job.default_memorandum, job.default_list_type
    )
    reader = BatchReader(context, job, row_context)
    pending: asyncio.Future[PreparedBatch | None] | None = None
    try:
        pending = asyncio.ensure_future(asyncio.to_thread(reader.next_batch))
        while True:
            batch = await pending
            pending = None
            if batch is None:
                return "completed"
            pending = asyncio.ensure_future(asyncio.to_thread(reader.next_batch))
            await write_batch(context, job, batch)
            if stop.is_set():
                return "interrupted"
    finally:
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending
        await asyncio.to_thread(reader.close)


class ImportRunner:
    """Runs accepted imports in the background of this process; progress lives in the database."""

    def __init__(self, context: InitiatorContext) -> None:
        self.context = context
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, job: ImportJob) -> None:
        task = asyncio.create_task(self._run(job))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait_idle(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run(self, stop: asyncio.Event) -> None:
        """The runtime worker: on stop, let running imports finish their batch and record it."""
        await stop.wait()
        await self.wait_idle()

    async def _run(self, job: ImportJob) -> None:
        state, failure = "failed", None
        try:
            state = await run_import(self.context, job, self.context.runtime.stop)
            if state == "interrupted":
                failure = "the service stopped; upload the file again to import the rest"
        except (TabularError, HeaderError) as error:
            failure = str(error)
        except Problem as error:
            failure = error.detail
        except Exception as error:
            log.exception("import failed", extra={"import_id": str(job.import_id)})
            failure = f"the import failed: {type(error).__name__}"
        finally:
            await asyncio.to_thread(job.path.unlink, True)
        async with self.context.unit_of_work() as uow:
            await imports_repo.finish(uow.session, job.import_id, state, failure)
            await uow.commit()


async def accept(
    context: InitiatorContext,
    runner: ImportRunner,
    source: IO[bytes],
    filename: str | None,
    department: str,
    client_id: str,
    default_memorandum: str | None,
    default_list_type: ListType | None,
) -> dict[str, Any]:
    """Spool and check an upload, record the import, start it; answers before it is done."""
    settings = context.settings
    path, size, sha256 = await asyncio.to_thread(
        spool, source, settings.import_spool_dir, settings.import_max_bytes
    )
    try:
        file_format = sniff_format(await asyncio.to_thread(_head, path), filename)
        job = ImportJob(
            uuid.uuid4(),
            path,
            file_format,
            department,
            client_id,
            default_memorandum,
            default_list_type,
        )
        try:
            columns = await asyncio.to_thread(check_header, path, file_format, job.defaults)
        except (TabularError, HeaderError) as error:
            messages = error.messages if isinstance(error, HeaderError) else [str(error)]
            raise Problem(
                422,
                f"the file cannot be imported: {'; '.join(messages)}",
                errors=[{"location": "body.file", "message": m} for m in messages],
            ) from None
        at = now()
        async with context.unit_of_work() as uow:
            await imports_repo.create(
                uow.session,
                {
                    "id": job.import_id,
                    "department": department,
                    "client_id": client_id,
                    "filename": fields.storable(filename, 255) if filename else None,
                    "format": file_format.value,
                    "size_bytes": size,
                    "sha256": sha256,
                    "default_memorandum": default_memorandum,
                    "default_list_type": default_list_type,
                    "state": "running",
                    "ignored_columns": list(columns.ignored),
                    "started_at": at,
                    "heartbeat_at": at,
                },
            )
            row = await imports_repo.get(uow.session, job.import_id)
            assert row is not None
            actor = Actor("department", department, client_id).audited()
            change = {"filename": row.filename, "size_bytes": size, "sha256": sha256}
            await append(uow.session, [Act(actor, "import.accepted", str(job.import_id), change)])
            await uow.commit()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    runner.submit(job)
    assert row is not None
    return import_view(row._mapping)


def import_view(row: Any) -> dict[str, Any]:
    return {
        "import_id": str(row["id"]),
        "state": row["state"],
        "department": row["department"],
        "filename": row["filename"],
        "format": row["format"],
        "size_bytes": row["size_bytes"],
        "sha256": row["sha256"],
        "rows_read": row["rows_read"],
        "created": row["created"],
        "duplicates": row["duplicates"],
        "errors": row["errors"],
        "ignored_columns": list(row["ignored_columns"]),
        "failure": row["failure"],
        "started_at": row["started_at"].isoformat(),
        "heartbeat_at": row["heartbeat_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }
