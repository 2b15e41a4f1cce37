"""Messages are published on the room's channel; typing flags are short-lived keys."""

import json
import os

import redis


def test_a_message_reaches_a_subscriber_of_the_room(api):
    listener = redis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    try:
        pubsub.subscribe("room:lobby")
        assert pubsub.get_message(timeout=1) is None  # the subscribe confirmation is skipped
        status, body = api.post("/rooms/lobby/messages", json={"user": "ada", "text": "hi"})
        assert (status, body) == (201, {"delivered_to": 1})
        message = pubsub.get_message(timeout=5)
        assert message is not None and message["channel"] == "room:lobby"
        event = json.loads(message["data"])
        assert (event["user"], event["text"]) == ("ada", "hi")
    finally:
        pubsub.close()
        listener.close()


def test_nobody_listening_is_not_an_error(api):
    assert api.post("/rooms/empty/messages", json={"user": "bob", "text": "anyone?"}) == (201, {"delivered_to": 0})


def test_typing_is_a_five_second_flag(api, resp):
    assert api.post("/rooms/lobby/typing/ada") == (200, {"typing": "ada"})
    assert resp("GET", "typing:lobby:ada") == "1"
    assert 0 < resp("TTL", "typing:lobby:ada") <= 5
