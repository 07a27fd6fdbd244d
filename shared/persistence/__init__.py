"""Database engine, sessions, the unit of work and migrations."""
