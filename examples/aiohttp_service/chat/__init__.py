"""chat: rooms, topics, messages and presence over HTTP (aiohttp + Redis)."""
