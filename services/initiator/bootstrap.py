"""The one place that wires the initiator service's dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from services.initiator.handlers.catalogue import follow_registry
from services.initiator.handlers.context import InitiatorContext
from services.initiator.handlers.expiry import run_scheduler
from services.initiator.handlers.imports import ImportRunner
from services.initiator.handlers.messages import message_handler
from services.initiator.handlers.republish import run_republisher
from services.initiator.settings import InitiatorSettings
from shared.delivery.consumer import ConsumerLoop
from shared.reconciliation.worker import fold_worker
from shared.runtime import Runtime
from shared.topics import Topic

CONSUMER = "initiator-consumer"
REGISTRY_FOLLOWER = "catalogue-from-registry"
SCHEDULER = "expiry-scheduler"
REPUBLISHER = "republisher"
IMPORTS = "imports"


@dataclass
class Initiator:
    runtime: Runtime
    context: InitiatorContext
    imports: ImportRunner
    consumer: ConsumerLoop


def bootstrap(settings: InitiatorSettings | None = None) -> Initiator:
    settings = settings or InitiatorSettings.load()
    runtime = Runtime.create(settings)
    context = InitiatorContext(runtime, settings)
    imports = ImportRunner(context)
    consumer = ConsumerLoop(
        settings.consumer_group,
        [settings.topic(Topic.CATALOGUE), settings.topic(Topic.REPUBLISH_REQUESTS)],
        message_handler(context),
        runtime.sessions,
        settings,
    )
    runtime.workers.update(
        {
            CONSUMER: consumer.run,
            REGISTRY_FOLLOWER: partial(follow_registry, context),
            SCHEDULER: partial(run_scheduler, context),
            REPUBLISHER: partial(run_republisher, context),
            IMPORTS: imports.run,
            "digest-folder": fold_worker(runtime),
        }
    )
    return Initiator(runtime, context, imports, consumer)
