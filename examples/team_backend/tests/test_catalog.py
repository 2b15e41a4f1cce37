"""Read caches: product hashes and prices (module-level client), stock (per-request client)."""


def test_product_page_reads_the_product_hash(api, resp):
    resp("HSET", "product:BEAN-1KG", "name", "Espresso beans 1kg", "origin", "Brazil")
    assert api.get("/catalog/BEAN-1KG").json() == {"sku": "BEAN-1KG", "name": "Espresso beans 1kg", "origin": "Brazil"}
    assert api.get("/catalog/NOPE").status_code == 404
    assert resp("EXISTS", "product:NOPE") == 0  # a read cache never writes


def test_prices_use_one_mget(api, resp):
    resp("MSET", "price:BEAN-1KG", "2490", "price:JUG-600", "1590")
    response = api.get("/catalog/prices", params=[("sku", "BEAN-1KG"), ("sku", "JUG-600"), ("sku", "GONE")])
    assert response.json() == {"BEAN-1KG": 2490, "JUG-600": 1590, "GONE": None}


def test_stock_level(api, resp):
    resp("SET", "stock:JUG-600", "12")
    assert api.get("/stock/JUG-600").json() == {"sku": "JUG-600", "available": 12}
    assert api.get("/stock/UNTRACKED").status_code == 404
    assert resp("DBSIZE") == 1
