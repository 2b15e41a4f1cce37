"""Lifecycle module template."""
