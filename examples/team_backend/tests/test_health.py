def test_healthz_pings_the_shared_pool(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"redis": True}
