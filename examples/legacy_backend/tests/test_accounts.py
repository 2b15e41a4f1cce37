from __future__ import annotations

import json

from backend import settings


def test_session_roundtrip(client, resp) -> None:
    token = client.post("/sessions", json={"user_id": 7, "roles": ["admin"]}).json()["token"]
    assert 0 < resp("TTL", f"session:{token}") <= settings.SESSION_TTL_SECONDS
    assert client.get(f"/sessions/{token}").json() == {"user_id": 7, "roles": ["admin"]}

    assert client.delete(f"/sessions/{token}").status_code == 204
    assert resp("EXISTS", f"session:{token}") == 0
    assert client.get(f"/sessions/{token}").status_code == 404


def test_login_is_rate_limited(client, resp) -> None:
    limit = settings.LOGIN_ATTEMPTS_PER_MINUTE
    for _ in range(limit):
        assert client.post("/sessions", json={"user_id": 1}).status_code == 201
    blocked = client.post("/sessions", json={"user_id": 1})
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert resp("GET", "ratelimit:login:testclient") == str(limit + 1)
    assert 0 < resp("TTL", "ratelimit:login:testclient") <= 60


def test_rate_limit_window_resets(client, resp) -> None:
    for _ in range(settings.LOGIN_ATTEMPTS_PER_MINUTE + 1):
        client.post("/sessions", json={"user_id": 1})
    resp("DEL", "ratelimit:login:testclient")  # the window expired
    assert client.post("/sessions", json={"user_id": 1}).status_code == 201


def test_profile_read_write(client, resp) -> None:
    assert client.get("/profiles/42").status_code == 404
    saved = client.put("/profiles/42", json={"display_name": "Ada", "locale": "en-GB"})
    assert saved.json() == {"user_id": 42, "display_name": "Ada", "locale": "en-GB"}
    assert json.loads(resp("GET", "profile:42")) == {"display_name": "Ada", "locale": "en-GB"}
    assert client.get("/profiles/42").json() == {"user_id": 42, "display_name": "Ada", "locale": "en-GB"}


def test_feature_flags(client, resp) -> None:
    assert client.get("/flags/new-checkout").json() == {"flag": "new-checkout", "enabled": False}
    client.put("/flags/new-checkout")
    client.put("/flags/dark-mode")
    assert client.get("/flags/new-checkout").json()["enabled"] is True
    assert client.get("/flags").json() == {"enabled": ["dark-mode", "new-checkout"]}
    client.put("/flags/dark-mode", params={"enabled": "false"})
    assert sorted(resp("SMEMBERS", "flags:enabled")) == ["new-checkout"]
