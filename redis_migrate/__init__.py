"""redis-migrate: move scattered Redis clients onto one lifecycle module."""
__version__ = "0.1.0"
