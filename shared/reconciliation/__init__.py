"""Continuous reconciliation (持续对账): consumers compare digests of the designations they hold
with the initiator's and ask for the re-publication of what they miss (docs/architecture.md)."""
