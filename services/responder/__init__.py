"""The responder service: one deployment per department: its measures in force and the check API (应查必查)."""
