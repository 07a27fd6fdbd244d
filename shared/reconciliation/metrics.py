"""Prometheus metrics of the continuous reconciliation."""

from __future__ import annotations

from prometheus_client import Counter

ROUNDS = Counter(
    "jointcredit_reconciliation_rounds_total",
    "digest rounds, by outcome: matched (every bucket), narrowed (buckets differed, nothing "
    "missing past the grace), suspected (missing, asked for if the next round finds them "
    "missing too), requested, unanswered (the initiator did not answer in time)",
    ["requester", "outcome"],
)
MISMATCHED_BUCKETS = Counter(
    "jointcredit_reconciliation_mismatched_buckets_total",
    "buckets whose digest differed from the initiator's (narrowed to ids)",
    ["requester"],
)
REQUESTED = Counter(
    "jointcredit_reconciliation_requested_total",
    "designations asked for again: missing, or held at an older version, in two rounds",
    ["requester"],
)
