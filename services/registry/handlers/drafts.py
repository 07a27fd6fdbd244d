"""Memorandum drafts: opened (new, or from the published memorandum), edited, then published
as the next catalogue version, after which the published memorandum is locked again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.registry.adapters import catalogue_store as store
from services.registry.domain.catalogue import CatalogueInvalid, CatalogueState, Issue
from services.registry.domain.drafts import DraftContent, apply_draft, is_stale
from services.registry.handlers.catalogue import CatalogueReader, Publication, publish
from services.registry.handlers.errors import Conflict, NotFound, Rejected
from shared.audit.appending import append
from shared.audit.entries import Act, Actor
from shared.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class DraftView:
    code: str
    new_memorandum: bool
    base_version: int | None
    content: DraftContent
    created_at: datetime
    updated_at: datetime
    created_by: str
    stale: bool
    issues: list[Issue]


async def _state(session: AsyncSession, reader: CatalogueReader) -> CatalogueState:
    current = await reader.current(session)
    return current.state if current else CatalogueState()


def _view(row: store.DraftRow, state: CatalogueState) -> DraftView:
    content = DraftContent.model_validate(row.content)
    return DraftView(
        code=row.code,
        new_memorandum=row.base is None,
        base_version=row.base_version,
        content=content,
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
        stale=is_stale(state, row.code, row.base),
        issues=apply_draft(state, content)[1],
    )


async def open_new(
    uow: UnitOfWork, reader: CatalogueReader, content: DraftContent, by: Actor
) -> DraftView:
    session = uow.session
    code = content.memorandum.code
    current = await reader.current(session)
    if current is not None and code in current.state.memoranda:
        raise Conflict(
            f"memorandum {code!r} is published; open its draft with POST /v1/memoranda/{code}/draft"
        )
    return await _insert(uow, reader, code, current.version if current else None, None, content, by)


async def open_from_published(
    uow: UnitOfWork, reader: CatalogueReader, code: str, by: Actor
) -> DraftView:
    current = await reader.current(uow.session)
    bundle = current.state.bundle(code) if current else None
    if current is None or bundle is None:
        raise NotFound(f"no published memorandum {code!r}")
    content = DraftContent.model_validate(bundle)
    return await _insert(uow, reader, code, current.version, bundle, content, by)


async def _insert(
    uow: UnitOfWork,
    reader: CatalogueReader,
    code: str,
    base_version: int | None,
    base: dict[str, object] | None,
    content: DraftContent,
    by: Actor,
) -> DraftView:
    now = datetime.now(UTC)
    created = await store.insert_draft(
        uow.session,
        code=code,
        base_version=base_version,
        base=base,
        content=content.as_value(),
        created_by=by.actor,
        now=now,
    )
    if not created:
        raise Conflict(f"a draft of memorandum {code!r} is already open")
    change = {"base_version": base_version, "content": content.as_value()}
    await append(uow.session, [Act(by, "memorandum_draft.opened", code, change)])
    await uow.commit()
    return await get(uow.session, reader, code)


async def get(session: AsyncSession, reader: CatalogueReader, code: str) -> DraftView:
    row = await store.draft(session, code)
    if row is None:
        raise NotFound(f"no open draft of memorandum {code!r}")
    return _view(row, await _state(session, reader))


async def list_open(
    session: AsyncSession, reader: CatalogueReader, limit: int, offset: int
) -> tuple[list[DraftView], int]:
    rows, total = await store.drafts(session, limit, offset)
    state = await _state(session, reader)
    return [_view(row, state) for row in rows], total


async def replace(
    uow: UnitOfWork, reader: CatalogueReader, code: str, content: DraftContent, by: Actor
) -> DraftView:
    if content.memorandum.code != code:
        raise Rejected(f"this is the draft of {code!r}; its memorandum code cannot change")
    row = await store.draft(uow.session, code, for_update=True)
    if row is None:
        raise NotFound(f"no open draft of memorandum {code!r}")
    await store.update_draft(uow.session, code, content.as_value(), datetime.now(UTC))
    change = {"content": content.as_value()}
    await append(uow.session, [Act(by, "memorandum_draft.replaced", code, change)])
    await uow.commit()
    return await get(uow.session, reader, code)


async def discard(uow: UnitOfWork, code: str, by: Actor) -> None:
    if not await store.delete_draft(uow.session, code):
        raise NotFound(f"no open draft of memorandum {code!r}")
    await append(uow.session, [Act(by, "memorandum_draft.discarded", code, {})])
    await uow.commit()


async def publish_draft(
    uow: UnitOfWork,
    reader: CatalogueReader,
    topic: str,
    code: str,
    *,
    by: Actor,
    note: str = "",
) -> Publication:
    session = uow.session
    await store.lock_catalogue(session)
    row = await store.draft(session, code, for_update=True)
    if row is None:
        raise NotFound(f"no open draft of memorandum {code!r}")
    content = DraftContent.model_validate(row.content)

    def edit(state: CatalogueState) -> CatalogueState:
        if is_stale(state, code, row.base):
            raise Conflict(
                f"memorandum {code!r} was published again since this draft was opened "
                f"(from version {row.base_version}); discard the draft and open a new one"
            )
        published, issues = apply_draft(state, content)
        if issues:
            raise CatalogueInvalid(issues)
        return published

    publication = await publish(uow, reader, topic, edit, by=by, note=note or f"memorandum {code}")
    await store.delete_draft(session, code)
    await uow.commit()
    return publication
