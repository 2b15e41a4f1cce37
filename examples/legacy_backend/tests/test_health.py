from __future__ import annotations


def test_liveness(client) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}


def test_readiness_uses_lifecycle_client(client) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redis": True}


def test_readiness_with_reset(client) -> None:
    assert client.get("/health/ready", params={"reset": "true"}).json()["redis"] is True
    assert client.get("/health/ready").json()["redis"] is True


def test_redis_diagnostics(client, resp) -> None:
    body = client.get("/health/redis").json()
    assert body["redis_version"] == resp("INFO", "server").split("redis_version:")[1].split("\r\n")[0]
    assert body["latency_ms"] >= 0
    assert int(body["uptime_seconds"]) >= 0
