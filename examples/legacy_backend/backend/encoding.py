"""Helpers for Redis replies, which are ``bytes`` or ``str`` depending on ``decode_responses``."""

from __future__ import annotations

from collections.abc import Mapping


def text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def text_dict(mapping: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    return {text(k): text(v) for k, v in mapping.items()}
