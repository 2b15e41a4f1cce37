"""Legacy aioredis 1.x notifications module.

aioredis 1.x cannot be imported on Python 3.11, so while the module still says
``import aioredis`` this test is skipped; once it is on redis.asyncio it runs.
"""

from pathlib import Path

import pytest

MODULE = Path(__file__).resolve().parents[1] / "storefront" / "legacy" / "notifications.py"


@pytest.mark.skipif("import aioredis" in MODULE.read_text(encoding="utf-8"),
                    reason="storefront/legacy/notifications.py still uses aioredis 1.x")
def test_remember_stores_hash_flag_and_recent_entry(api, resp):
    # The route calls storefront.legacy.notifications.remember() inside the app's event loop.
    response = api.post("/notifications/42", json={"title": "Order shipped", "order": "A-17"})
    assert response.status_code == 200, response.text

    stored = resp("HGETALL", "notif:42")
    assert dict(zip(stored[::2], stored[1::2])) == {"title": "Order shipped", "order": "A-17"}
    assert resp("GET", "notif:42:seen") == "0"
    assert 0 < resp("TTL", "notif:42:seen") <= 300
    assert resp("ZSCORE", "notif:recent", "42") == "10"
