"""Prometheus metrics of a responder: checks are counted here, never written to the database."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CHECKS = Counter(
    "jointcredit_responder_checks_total",
    "subjects checked, by result: in_force (a measure applies), none, invalid (bad identifier)",
    ["department", "result"],
)
DESIGNATION_EVENTS = Counter(
    "jointcredit_responder_designation_events_total",
    "designation events, by outcome: applied (a newer version), stale (older or equal version), "
    "resent (a re-published version already held: its receipts sent again), not_owed",
    ["department", "outcome"],
)
CATALOGUE_EVENTS = Counter(
    "jointcredit_responder_catalogue_events_total",
    "catalogue events, by outcome: applied, fetched (a gap filled from the registry), stale",
    ["department", "outcome"],
)
ENFORCEMENTS = Counter(
    "jointcredit_responder_enforcements_total",
    "enforcement recordings, by outcome: recorded, replayed, conflict, rejected",
    ["department", "outcome"],
)
INDEXED_SUBJECTS = Gauge(
    "jointcredit_responder_indexed_subjects",
    "subjects with at least one measure in the check index",
    ["department"],
)
INDEX_CHANGES = Counter(
    "jointcredit_responder_index_changes_total",
    "changes of the department's change feed this replica applied to its check index",
    ["department"],
)
INDEX_SEQUENCE = Gauge(
    "jointcredit_responder_index_sequence",
    "the last change of the feed this replica's check index holds (compare across replicas)",
    ["department"],
)
INDEX_STALENESS = Histogram(
    "jointcredit_responder_index_staleness_seconds",
    "from a change's commit on any replica to its being answered by this one; `origin` says "
    "whether this replica or another committed it",
    ["department", "origin"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)
