"""Write cache held on ``self`` by WishlistStore."""


def test_add_and_remove_wishes(api, resp):
    api.post("/wishlists/u1", json={"sku": "BEAN-1KG", "note": "for the office"})
    body = api.post("/wishlists/u1", json={"sku": "JUG-600"}).json()
    assert body == {"items": {"BEAN-1KG": "for the office", "JUG-600": ""}}
    assert resp("HGET", "wishlist:u1", "BEAN-1KG") == "for the office"

    assert api.delete("/wishlists/u1/BEAN-1KG").json() == {"items": {"JUG-600": ""}}
    assert resp("HKEYS", "wishlist:u1") == ["JUG-600"]


def test_clear_wishlist(api, resp):
    api.post("/wishlists/u2", json={"sku": "BEAN-1KG"})
    assert api.delete("/wishlists/u2").json() == {"items": {}}
    assert resp("EXISTS", "wishlist:u2") == 0
