"""Prometheus metrics of the consumer loop."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

MESSAGES = Counter(
    "jointcredit_consumer_messages_total",
    "messages handled, by outcome: processed, duplicate, failed (an attempt), dead_lettered",
    ["consumer", "outcome"],
)
LAG = Gauge(
    "jointcredit_consumer_lag",
    "records between the consumer's position and the partition's high-water mark",
    ["consumer", "topic", "partition"],
)
