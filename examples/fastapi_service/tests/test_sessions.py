"""Write cache through the yield dependency: sessions (SET EX / DEL) and view counters (INCR)."""

import time


def test_a_session_is_stored_with_its_ttl_and_ended(api, resp):
    sid = api.post("/sessions", json={"user_id": "ada"}).json()["sid"]
    assert resp("GET", f"session:{sid}") == "ada"
    assert 3500 < resp("TTL", f"session:{sid}") <= 3600
    assert api.delete(f"/sessions/{sid}").json() == {"ended": sid}
    assert resp("EXISTS", f"session:{sid}") == 0
    assert api.delete(f"/sessions/{sid}").status_code == 404


def test_views_are_counted(api, resp):
    assert [api.post("/views/BEAN-1KG").json()["views"] for _ in range(3)] == [1, 2, 3]
    assert resp("GET", "views:BEAN-1KG") == "3"


def test_the_rate_limit_counts_per_client_and_refuses_over_the_limit(api, resp):
    api.post("/views/JUG-600")
    window = int(time.time() // 60)
    keys = [k for k in resp("KEYS", "rate:*")]
    assert keys and keys[0].startswith("rate:testclient:"), keys
    assert 0 < resp("TTL", keys[0]) <= 60
    for w in (window, window + 1):  # whichever minute the next request falls in
        resp("SET", f"rate:testclient:{w}", "100000", "EX", "120")
    assert api.post("/views/JUG-600").status_code == 429
