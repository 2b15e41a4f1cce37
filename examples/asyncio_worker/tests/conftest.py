"""Shared fixtures: a real redis-server and a way to look into Redis.

``REDIS_URL`` wins when set; otherwise ``redis-server`` from PATH is started on a free
loopback port without persistence and stopped when the run ends. The URL is put into the
environment before any ``worker`` module is imported (``worker.settings`` reads it then).
"""

# examples/_testkit (on the path through pytest.ini): a redis-server for the run, the `resp`
# fixture and a FLUSHDB before every test
pytest_plugins = ["redis_testkit"]
