"""HTTP routes, consumer wiring and process entry points."""
