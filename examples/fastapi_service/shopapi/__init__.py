"""shopapi: the shop's HTTP API (FastAPI + Redis)."""
