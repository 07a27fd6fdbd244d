"""The Kafka topics of the platform; `docs/asyncapi.yaml` documents each one."""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    CATALOGUE = "jointcredit.catalogue.v1"
    """Catalogue changes from the registry; key: memorandum code."""
    DESIGNATIONS = "jointcredit.designations.v1"
    """Designation lifecycle events from the initiator; key: subject identifier."""
    RECEIPTS = "jointcredit.receipts.v1"
    """Responder receipts to feedback; key: designation id."""
    REPUBLISH_REQUESTS = "jointcredit.republish-requests.v1"
    """Feedback's requests that the initiator re-publish designations; key: designation id."""
    DIGESTS = "jointcredit.digests.v1"
    """The initiator's answers to digest requests (continuous reconciliation); key: request id."""
    DEAD_LETTERS = "jointcredit.dead-letters.v1"
    """Messages a consumer could not process, with the error in headers; key: the original key."""


ALL_TOPICS: tuple[str, ...] = tuple(topic.value for topic in Topic)
