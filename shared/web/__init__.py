"""The FastAPI app factory and what every service's HTTP side shares."""
