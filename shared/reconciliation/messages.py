"""The digest exchange: a consumer asks on the re-publish topic, the initiator answers on the
digests topic (every reader there reads without a group and keeps only its own answers)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from shared.delivery.outbox import OutgoingEvent
from shared.events.envelope import new_event
from shared.reconciliation.digests import BucketDigest, Entry
from shared.settings import ServiceSettings
from shared.topics import Topic

DIGEST_REQUESTED = "digest.requested.v1"
DIGEST_ANSWERED = "digest.answered.v1"
ENTRIES_PER_ANSWER = 2_000
"""(id, version) pairs per answer event: about 120 KB, well under a broker's message limit."""


class DigestRequested(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    requester: str
    """`feedback` or `responder:<department>`, for logs"""
    memorandum_codes: tuple[str, ...] | None = None
    """the designations of these memoranda only (a responder's); None: all (feedback's)"""
    buckets: tuple[int, ...] | None = None
    """None: every bucket's digest; else the (id, version) pairs in these buckets"""
    expires_at: datetime | None = None
    """nobody waits for the answer after this: an initiator reading a backlog skips it"""


class DigestAnswered(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    request_id: uuid.UUID
    part: int
    parts: int
    taken_at: datetime
    digests: list[tuple[int, int, int]] | None = None
    """(bucket, designations, hash) of every non-empty bucket"""
    entries: list[tuple[uuid.UUID, int, datetime]] | None = None
    """(id, version, changed at) at the initiator"""

    def bucket_digests(self) -> dict[int, BucketDigest]:
        return {bucket: BucketDigest(n, h) for bucket, n, h in self.digests or ()}

    def entry_list(self) -> list[Entry]:
        return [Entry(i, version, changed) for i, version, changed in self.entries or ()]


def request_event(settings: ServiceSettings, request: DigestRequested) -> OutgoingEvent:
    envelope = new_event(
        DIGEST_REQUESTED,
        settings.service_name,
        request.model_dump(mode="json", exclude_none=True),
        subject=str(request.request_id),
    )
    return OutgoingEvent(settings.topic(Topic.REPUBLISH_REQUESTS), request.requester, envelope)


def answer_events(
    settings: ServiceSettings,
    request: DigestRequested,
    taken_at: datetime,
    digests: dict[int, BucketDigest] | None = None,
    entries: Sequence[Entry] | None = None,
) -> list[OutgoingEvent]:
    """The answer, in parts of at most `ENTRIES_PER_ANSWER` entries, keyed by the request."""
    if entries is None:
        found = [(bucket, d.designations, d.hash) for bucket, d in sorted((digests or {}).items())]
        answers = [
            DigestAnswered(
                request_id=request.request_id, part=0, parts=1, taken_at=taken_at, digests=found
            )
        ]
    else:
        chunks = [
            entries[start : start + ENTRIES_PER_ANSWER]
            for start in range(0, len(entries), ENTRIES_PER_ANSWER)
        ] or [[]]
        answers = [
            DigestAnswered(
                request_id=request.request_id,
                part=part,
                parts=len(chunks),
                taken_at=taken_at,
                entries=[(e.id, e.version, e.changed_at or taken_at) for e in chunk],
            )
            for part, chunk in enumerate(chunks)
        ]
    return [
        OutgoingEvent(
            settings.topic(Topic.DIGESTS),
            str(request.request_id),
            new_event(
                DIGEST_ANSWERED,
                settings.service_name,
                answer.model_dump(mode="json", exclude_none=True),
                subject=str(request.request_id),
            ),
        )
        for answer in answers
    ]
