"""The one place that wires the responder service's dependencies."""

from __future__ import annotations

from functools import partial

from services.responder.entrypoints.consumers import ResponderWorkers
from services.responder.entrypoints.index_follower import IndexFollower
from services.responder.entrypoints.reconciliation_worker import digest_reconciliation_worker
from services.responder.settings import ResponderSettings
from services.responder.state import ResponderState
from shared.runtime import Runtime


def bootstrap(settings: ResponderSettings | None = None) -> tuple[Runtime, ResponderState]:
    settings = settings or ResponderSettings.load()
    runtime = Runtime.create(settings)
    state = ResponderState(settings)
    workers = ResponderWorkers(runtime, state)
    runtime.workers["catalogue-consumer"] = workers.catalogue
    runtime.workers["designation-consumer"] = workers.designations
    runtime.workers["index-follower"] = IndexFollower(state).run
    runtime.workers["check-counts"] = partial(state.check_counts.run, runtime.sessions)
    runtime.workers["digest-reconciliation"] = digest_reconciliation_worker(runtime, settings)
    return runtime, state
