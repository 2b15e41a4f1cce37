"""Rate limiter: INCR + EXPIRE per caller."""

from storefront.config import settings


def test_search_is_rate_limited(api, resp):
    limit = settings.search_requests_per_minute
    for _ in range(limit):
        assert api.get("/search", params={"q": "beans"}).status_code == 200
    assert api.get("/search", params={"q": "beans"}).status_code == 429
    assert resp("GET", "rate:search:testclient") == str(limit + 1)
    assert 0 < resp("TTL", "rate:search:testclient") <= 60
