"""Code from the old notifications service, still on aioredis 1.x.

Nothing here may be imported at start-up: aioredis 1.x does not import on Python 3.11.
"""
