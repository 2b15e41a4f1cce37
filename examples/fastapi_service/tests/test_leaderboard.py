"""The Leaderboard service, built in the lifespan around the app's client."""


def test_points_add_up_and_the_top_is_ordered(api, resp):
    for user, points in (("ada", 10), ("bob", 30), ("ada", 25), ("cy", 5)):
        assert api.post("/leaderboard", json={"user": user, "points": points}).json() == {"ok": True}
    assert api.get("/leaderboard", params={"n": 2}).json() == [
        {"user": "ada", "points": 35}, {"user": "bob", "points": 30}]
    assert resp("ZSCORE", "leaderboard:points", "cy") == "5"
