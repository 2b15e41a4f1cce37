"""Background processes (run with ``python -m backend.workers.<name>``)."""
