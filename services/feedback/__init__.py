"""The feedback service: 跟踪问效 statistics, the overdue list (通报) and the oversight dashboard."""
