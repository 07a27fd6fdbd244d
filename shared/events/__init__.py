"""The event envelope and the platform's event types."""
