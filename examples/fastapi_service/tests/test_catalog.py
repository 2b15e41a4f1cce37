"""Read cache: product names and prices through ``request.app.state.redis``."""


def test_product_page_reads_the_cached_name(api, resp):
    resp("SET", "product:BEAN-1KG:name", "Espresso beans 1kg")
    assert api.get("/products/BEAN-1KG").json() == {"sku": "BEAN-1KG", "name": "Espresso beans 1kg"}
    assert api.get("/products/NOPE").status_code == 404
    assert resp("DBSIZE") == 1  # a read cache never writes


def test_prices_come_from_one_mget(api, resp):
    resp("MSET", "price:BEAN-1KG", "2490", "price:JUG-600", "1590")
    response = api.get("/products/prices", params=[("sku", "BEAN-1KG"), ("sku", "JUG-600"), ("sku", "GONE")])
    assert response.json() == {"BEAN-1KG": 2490, "JUG-600": 1590, "GONE": None}
