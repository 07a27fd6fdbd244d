"""Reliable delivery: the transactional outbox, its relay, the idempotent inbox, the consumer."""
