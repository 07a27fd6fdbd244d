"""The one place that wires the feedback service's dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from services.feedback.adapters.catalogue_store import CatalogueStore
from services.feedback.adapters.registry_client import fetch_catalogue
from services.feedback.entrypoints.reconciliation_worker import (
    digest_reconciliation_worker,
    reconciliation_worker,
)
from services.feedback.handlers.dependencies import HandlerDependencies
from services.feedback.handlers.dispatch import make_handler
from services.feedback.settings import FeedbackSettings
from shared.catalogue import Catalogue
from shared.delivery.consumer import ConsumerLoop
from shared.kafka import make_consumer
from shared.runtime import Runtime
from shared.topics import Topic
from shared.workdays import default_calendar

CO_PARTITIONING = (RangePartitionAssignor, RoundRobinPartitionAssignor)
"""The range assignor gives each instance the same partition numbers of the designations and
receipts topics (both keyed by the subject, with the same partition count): every event of a
designation reaches one instance. Round robin second, so that during a rolling upgrade the
group keeps working with members that do not offer range yet."""


@dataclass(frozen=True)
class Feedback:
    settings: FeedbackSettings
    runtime: Runtime
    handlers: HandlerDependencies
    consumer: ConsumerLoop


def bootstrap(settings: FeedbackSettings | None = None) -> Feedback:
    settings = settings or FeedbackSettings.load()
    runtime = Runtime.create(settings)

    async def fetch() -> Catalogue:
        return await fetch_catalogue(settings.registry_url, settings.registry_timeout_s)

    handlers = HandlerDependencies(
        catalogues=CatalogueStore(), calendar=default_calendar(), fetch_catalogue=fetch
    )
    consumer = ConsumerLoop(
        settings.consumer_group,
        [settings.topic(t) for t in (Topic.CATALOGUE, Topic.DESIGNATIONS, Topic.RECEIPTS)],
        make_handler(handlers),
        runtime.sessions,
        settings,
        consumer_factory=partial(make_consumer, assignors=CO_PARTITIONING),
    )
    if settings.run_consumer:
        runtime.workers["feedback-consumer"] = consumer.run
    if settings.reconciliation_interval_s > 0:
        runtime.workers["reconciliation"] = reconciliation_worker(runtime, settings)
    runtime.workers["digest-reconciliation"] = digest_reconciliation_worker(runtime)
    return Feedback(settings, runtime, handlers, consumer)
