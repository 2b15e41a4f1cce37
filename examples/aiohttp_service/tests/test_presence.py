"""Presence: heartbeats through the ``cleanup_ctx`` client, ``app["presence"]``."""


def test_a_heartbeat_makes_a_user_online_for_a_minute(api, resp):
    assert api.get("/presence/ada") == (200, {"user": "ada", "online": False})
    assert api.put("/presence/ada") == (200, {"user": "ada", "online": True})
    assert api.get("/presence/ada") == (200, {"user": "ada", "online": True})
    assert 0 < resp("TTL", "presence:ada") <= 60
