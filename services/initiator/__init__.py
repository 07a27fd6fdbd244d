"""The initiator service: designations (认定), their lifecycle, objections (异议), repair (信用修复) and publication (公示)."""
