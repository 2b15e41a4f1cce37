"""Write cache: sessions as JSON strings with a TTL."""

import json

from storefront.config import settings


def test_session_round_trip(api, resp):
    sid = api.post("/sessions", json={"user_id": "ada"}).json()["sid"]
    assert json.loads(resp("GET", f"session:{sid}")) == {"user_id": "ada"}
    assert 0 < resp("TTL", f"session:{sid}") <= settings.session_ttl_seconds
    assert api.get(f"/sessions/{sid}").json() == {"user_id": "ada"}

    assert api.delete(f"/sessions/{sid}").json() == {"ended": True}
    assert resp("EXISTS", f"session:{sid}") == 0
    assert api.get(f"/sessions/{sid}").status_code == 401
    assert api.delete(f"/sessions/{sid}").json() == {"ended": False}
