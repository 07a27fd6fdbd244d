"""Request and response bodies of the registry API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.registry.domain.catalogue import Issue
from services.registry.domain.records import (
    Code,
    DepartmentKind,
    DepartmentRecord,
    Level,
    MeasureRecord,
    MemorandumRecord,
    PlainText,
    ShortText,
)
from services.registry.domain.versions import change_counts
from services.registry.handlers.catalogue import CatalogueAt, Publication
from services.registry.handlers.drafts import DraftView
from shared.auth.principal import Role
from shared.events.catalogue import CatalogueChange

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="how many match, over all pages")
    limit: int
    offset: int


class CataloguePage(Page[T], Generic[T]):
    version: int = Field(description="the catalogue version listed")


class CatalogueDocument(BaseModel):
    """The whole catalogue at one version: `Catalogue.from_document(doc, doc["version"])`."""

    version: int
    published_at: datetime
    departments: list[DepartmentRecord]
    memoranda: list[MemorandumRecord]
    measures: list[MeasureRecord]

    @classmethod
    def of(cls, at: CatalogueAt) -> CatalogueDocument:
        return cls(
            version=at.version,
            published_at=at.published_at,
            departments=list(at.state.departments.values()),
            memoranda=list(at.state.memoranda.values()),
            measures=list(at.state.measures.values()),
        )


class ChangeCounts(BaseModel):
    added: int
    changed: int
    removed: int


class VersionSummary(BaseModel):
    version: int
    published_at: datetime
    published_by: str = Field(description="client id of the platform administrator, or `seed`")
    note: str
    event_key: str = Field(description="the Kafka key of its catalogue event")
    counts: ChangeCounts


class VersionChanges(VersionSummary):
    changes: list[CatalogueChange]


class CatalogueDiff(BaseModel):
    from_version: int = Field(serialization_alias="from")
    to_version: int = Field(serialization_alias="to")
    counts: ChangeCounts
    changes: list[CatalogueChange]


class PublicationOut(BaseModel):
    """A catalogue write: the version it published, or the current one if nothing changed."""

    version: int
    published_at: datetime
    published: bool = Field(description="false when nothing changed (no new version)")
    counts: ChangeCounts
    changes: list[CatalogueChange]

    @classmethod
    def of(cls, publication: Publication) -> PublicationOut:
        return cls(
            version=publication.version,
            published_at=publication.published_at,
            published=publication.published,
            counts=ChangeCounts(**change_counts(publication.changes)),
            changes=list(publication.changes),
        )


class ImportOut(PublicationOut):
    rows: int = Field(description="rows read below the header")
    dry_run: bool


class DepartmentChanges(BaseModel):
    """The fields to change; the code never changes."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    level: Level | None = None
    region: ShortText | None = None
    kind: DepartmentKind | None = None
    active: bool | None = None


class MemorandumDetail(BaseModel):
    status: Literal["published"] = "published"
    version: int = Field(description="the catalogue version read")
    draft_open: bool
    memorandum: MemorandumRecord
    measures: list[MeasureRecord]


class HistoryEntry(BaseModel):
    version: int
    published_at: datetime
    published_by: str
    note: str
    changes: list[CatalogueChange]


class IssueOut(BaseModel):
    location: str
    message: str

    @classmethod
    def of(cls, issue: Issue) -> IssueOut:
        return cls(location=issue.location, message=issue.message)


class DraftIn(BaseModel):
    """A memorandum and the complete list of its measures, as they will be published."""

    model_config = ConfigDict(extra="forbid")

    memorandum: MemorandumRecord
    measures: list[MeasureRecord] = Field(default_factory=list, max_length=1000)


class DraftOut(BaseModel):
    code: str
    status: Literal["draft"] = "draft"
    new_memorandum: bool = Field(description="true when no memorandum of this code is published")
    base_version: int | None = Field(description="the catalogue version the draft started from")
    stale: bool = Field(description="the memorandum was published again since: discard and redo")
    issues: list[IssueOut] = Field(description="what must be fixed before it can be published")
    memorandum: MemorandumRecord
    measures: list[MeasureRecord]
    created_at: datetime
    updated_at: datetime
    created_by: str

    @classmethod
    def of(cls, view: DraftView) -> DraftOut:
        return cls(
            code=view.code,
            new_memorandum=view.new_memorandum,
            base_version=view.base_version,
            stale=view.stale,
            issues=[IssueOut.of(i) for i in view.issues],
            memorandum=view.content.memorandum,
            measures=list(view.content.measures),
            created_at=view.created_at,
            updated_at=view.updated_at,
            created_by=view.created_by,
        )


class PublishDraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[PlainText, Field(max_length=500)] = ""


class ClientIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"department_code": "market", "roles": ["responder"], "name": "审批系统"}]
        },
    )

    department_code: Code
    roles: Annotated[list[Role], Field(min_length=1, max_length=4)]
    name: Annotated[PlainText, Field(max_length=200)] = ""


class ClientOut(BaseModel):
    client_id: str
    department_code: str
    roles: list[str]
    name: str
    created_at: datetime
    created_by: str
    deleted_at: datetime | None = None


class IssuedClientOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="shown only in this answer; stored hashed")
    department_code: str
    roles: list[str]
    name: str


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="seconds")


class Jwks(BaseModel):
    keys: list[dict[str, Any]]


def _not_bool(value: Any) -> Any:
    """JSON `true` is not an integer (pydantic's lax mode would read it as 1)."""
    if isinstance(value, bool):
        raise ValueError("must be an integer, not a boolean")
    return value


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish_ahead_s: Annotated[int, Field(ge=0, le=86_400), BeforeValidator(_not_bool)] = Field(
        0,
        description="publish the new key now but sign with it only after this many seconds, "
        "so that verifiers holding a cached key set learn it first",
    )


class KeyOut(BaseModel):
    kid: str
    signs_from: datetime
    signs_until: datetime | None
    retire_after: datetime | None


class RotationOut(BaseModel):
    kid: str = Field(description="the new signing key")
    signs_from: datetime
    superseded: list[KeyOut] = Field(description="keys that stay published until retire_after")
    retired: list[str] = Field(description="keys retired now: no valid token names them")
