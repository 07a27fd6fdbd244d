"""The audit trail: an append-only, hash-chained log of every write and administrative act."""
