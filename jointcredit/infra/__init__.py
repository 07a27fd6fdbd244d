"""Embedded infrastructure for development and tests: PostgreSQL and a Kafka-protocol broker."""
