"""Room topics: read through ``request.app["redis"]``, written through ``request.config_dict["redis"]``."""


def test_a_topic_is_written_with_its_ttl_and_read_back(api, resp):
    assert api.get("/rooms/lobby/topic")[0] == 404
    assert api.put("/rooms/lobby/topic", json={"topic": "welcome"}) == (200, {"room": "lobby", "topic": "welcome"})
    assert resp("GET", "topic:lobby") == "welcome"
    assert 7 * 24 * 3600 - 100 < resp("TTL", "topic:lobby") <= 7 * 24 * 3600
    assert api.get("/rooms/lobby/topic") == (200, {"topic": "welcome"})


def test_reading_a_topic_writes_nothing(api, resp):
    resp("SET", "topic:dev", "builds")
    assert api.get("/rooms/dev/topic") == (200, {"topic": "builds"})
    assert api.get("/rooms/ops/topic")[0] == 404
    assert resp("DBSIZE") == 1
