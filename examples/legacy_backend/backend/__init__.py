"""Storefront backend: FastAPI service plus a few background workers."""
