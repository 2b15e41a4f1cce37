"""HTTP handlers."""

import time

from aiohttp import web
from redis.asyncio import Redis

from chat import config, events

routes = web.RouteTableDef()


@routes.get("/rooms/{room}/topic")
async def get_topic(request: web.Request) -> web.Response:
    topic = await request.app["redis"].get(f"topic:{request.match_info['room']}")
    if topic is None:
        raise web.HTTPNotFound(text="no topic")
    return web.json_response({"topic": topic})


@routes.put("/rooms/{room}/topic")
async def set_topic(request: web.Request) -> web.Response:
    room = request.match_info["room"]
    body = await request.json()
    await request.config_dict["redis"].set(f"topic:{room}", body["topic"], ex=config.TOPIC_TTL_SECONDS)
    return web.json_response({"room": room, "topic": body["topic"]})


@routes.post("/rooms/{room}/messages")
async def post_message(request: web.Request) -> web.Response:
    room = request.match_info["room"]
    body = await request.json()
    message = {"user": body["user"], "text": body["text"], "ts": time.time()}
    receivers = await events.publish(room, message)
    return web.json_response({"delivered_to": receivers}, status=201)


@routes.post("/rooms/{room}/typing/{user}")
async def typing(request: web.Request) -> web.Response:
    room, user = request.match_info["room"], request.match_info["user"]
    async with Redis.from_url(config.REDIS_URL, decode_responses=True) as r:
        await r.set(f"typing:{room}:{user}", "1", ex=config.TYPING_TTL_SECONDS)
    return web.json_response({"typing": user})


@routes.put("/presence/{user}")
async def heartbeat(request: web.Request) -> web.Response:
    user = request.match_info["user"]
    await request.app["presence"].set(f"presence:{user}", "online", ex=config.PRESENCE_TTL_SECONDS)
    return web.json_response({"user": user, "online": True})


@routes.get("/presence/{user}")
async def is_online(request: web.Request) -> web.Response:
    user = request.match_info["user"]
    online = bool(await request.app["presence"].exists(f"presence:{user}"))
    return web.json_response({"user": user, "online": online})
