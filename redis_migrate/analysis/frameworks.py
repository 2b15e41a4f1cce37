"""What web frameworks and workers look like from the outside: their apps, requests and hooks.

Pure data, read by the extractor and the link. Frameworks are recognised by the qualified names
an expression resolves to in the target's own source (`from fastapi import FastAPI` then
`FastAPI(...)` is `fastapi.FastAPI`); nothing here imports a framework or the target.

An app object stands for one shared namespace per framework style, a pseudo-class whose name
starts with `@`: whatever is stored on `app.state.redis` of a FastAPI app is read back from
`request.app.state.redis`, `websocket.app.state.redis` or another module's `app.state.redis`.
"""

from __future__ import annotations

from typing import Final

ASGI_APP: Final = "@asgi.App"
ASGI_REQUEST: Final = "@asgi.Request"
AIOHTTP_APP: Final = "@aiohttp.App"
AIOHTTP_REQUEST: Final = "@aiohttp.Request"
FLASK_APP: Final = "@flask.App"
SANIC_APP: Final = "@sanic.App"  # what a Sanic app keeps lives on `app.ctx`
SANIC_REQUEST: Final = "@sanic.Request"

# Qualified class name -> the pseudo-class its instances are.
FRAMEWORK_CLASSES: Final[dict[str, str]] = {
    **dict.fromkeys(("fastapi.FastAPI", "fastapi.applications.FastAPI",
                     "starlette.applications.Starlette", "litestar.Litestar",
                     "litestar.app.Litestar"), ASGI_APP),
    **dict.fromkeys(("fastapi.Request", "fastapi.requests.Request", "fastapi.WebSocket",
                     "fastapi.websockets.WebSocket", "starlette.requests.Request",
                     "starlette.requests.HTTPConnection", "starlette.websockets.WebSocket",
                     "litestar.Request", "litestar.connection.Request",
                     "litestar.WebSocket"), ASGI_REQUEST),
    **dict.fromkeys(("aiohttp.web.Application", "aiohttp.web_app.Application"), AIOHTTP_APP),
    **dict.fromkeys(("aiohttp.web.Request", "aiohttp.web.BaseRequest",
                     "aiohttp.web_request.Request", "aiohttp.web_request.BaseRequest"),
                    AIOHTTP_REQUEST),
    **dict.fromkeys(("flask.Flask", "flask.app.Flask", "quart.Quart"), FLASK_APP),
    **dict.fromkeys(("sanic.Sanic", "sanic.app.Sanic"), SANIC_APP),
    **dict.fromkeys(("sanic.Request", "sanic.request.Request"), SANIC_REQUEST),
}

# Attributes of a pseudo-class that are another framework object: `request.app` is the app;
# aiohttp's `request.config_dict` is a chain of the app's and its parents' mappings.
FRAMEWORK_ATTRIBUTES: Final[dict[str, str]] = {
    f"{ASGI_REQUEST}.app": ASGI_APP,
    f"{AIOHTTP_REQUEST}.app": AIOHTTP_APP,
    f"{AIOHTTP_REQUEST}.config_dict": AIOHTTP_APP,
    f"{SANIC_REQUEST}.app": SANIC_APP,
}

# Module-level proxies that stand for the running app.
FRAMEWORK_GLOBALS: Final[dict[str, str]] = {
    "flask.current_app": FLASK_APP,
    "quart.current_app": FLASK_APP,
}

# Framework objects that are mappings: `app.get("redis")` reads `app["redis"]`.
MAPPING_OBJECTS: Final[frozenset[str]] = frozenset({AIOHTTP_APP})
MAPPING_READS: Final[frozenset[str]] = frozenset({"get", "setdefault"})

# An unannotated parameter spelled like this, in a module that imports the framework, is that
# framework's object (aiohttp handlers and hooks are rarely annotated; FastAPI needs the
# annotation to inject a request, so its spelling alone proves nothing there).
UNANNOTATED_PARAMETERS: Final[dict[str, dict[str, str]]] = {
    "aiohttp": {"request": AIOHTTP_REQUEST, "req": AIOHTTP_REQUEST, "app": AIOHTTP_APP},
    "starlette": {"request": ASGI_REQUEST, "websocket": ASGI_REQUEST},
    # Sanic passes handlers the request and listeners the app, rarely annotated
    "sanic": {"request": SANIC_REQUEST, "app": SANIC_APP},
}

# `Depends(provider)`: the parameter holds what the provider returns or yields.
DEPENDENCY_MARKERS: Final[frozenset[str]] = frozenset({
    "fastapi.Depends", "fastapi.params.Depends", "fastapi.Security", "litestar.di.Provide",
    "litestar.Provide",
})

# `Annotated[T, Depends(provider)]`: a parameter so annotated holds what the provider gives.
ANNOTATED: Final[frozenset[str]] = frozenset({"typing.Annotated", "typing_extensions.Annotated"})

# dependency-injector providers: `providers.Factory(Service, redis=pool)` makes the container
# call `Service(redis=<what pool provides>)` when asked; `providers.Resource(init_pool, ...)`
# provides what `init_pool` returns or yields.
DI_PROVIDERS: Final[frozenset[str]] = frozenset(
    f"dependency_injector.providers.{name}" for name in (
        "Factory", "Singleton", "ThreadSafeSingleton", "ThreadLocalSingleton",
        "ContextLocalSingleton", "Resource", "Callable", "Coroutine"))

# Callables that wrap a function and bind its first arguments: `partial(close, client)`.
PARTIALS: Final[frozenset[str]] = frozenset({"functools.partial"})

# Decorators that make a generator a context manager: `with f() as x` exits the generator.
CONTEXT_MANAGER_DECORATORS: Final[frozenset[str]] = frozenset({
    "contextlib.contextmanager", "contextlib.asynccontextmanager",
})

# Context managers that close what they are given on exit: `async with aclosing(client):`.
CLOSING_WRAPPERS: Final[frozenset[str]] = frozenset({
    "contextlib.aclosing", "contextlib.closing",
})

# Hooks: where an app starts and stops. `(attribute, kind)` for `app.on_startup.append(f)`;
# keyword arguments of app constructors; decorators `@app.on_event("startup")`.
HOOK_LISTS: Final[dict[str, str]] = {
    "on_startup": "startup", "on_shutdown": "shutdown", "on_cleanup": "shutdown",
    "cleanup_ctx": "lifespan", "lifespan": "lifespan",
}
HOOK_KEYWORDS: Final[dict[str, str]] = {
    "lifespan": "lifespan", "on_startup": "startup", "on_shutdown": "shutdown",
    "lifespan_context": "lifespan",
}
# Sanic's server events, as `@app.listener("before_server_start")`, `@app.before_server_start`
# or `app.register_listener(f, "before_server_start")`: each worker process runs them
SANIC_EVENTS: Final[dict[str, str]] = {
    "before_server_start": "startup", "after_server_start": "startup",
    "before_server_stop": "shutdown", "after_server_stop": "shutdown",
}
HOOK_EVENTS: Final[dict[str, str]] = {"startup": "startup", "shutdown": "shutdown",
                                      **SANIC_EVENTS}
# `asyncio.run(main())`: the worker's whole run, the place to wire the lifecycle.
RUNNERS: Final[frozenset[str]] = frozenset({"asyncio.run", "anyio.run", "trio.run", "uvloop.run"})
# A runner in a module that imports these is a tool's script (alembic's env.py runs migrations
# with asyncio.run), not a program of the app: it is no place to start Redis.
TOOL_SCRIPT_IMPORTS: Final[frozenset[str]] = frozenset({"alembic"})
# App objects whose startup can call init_redis() (a sync Flask app has none to offer).
ASYNC_APPS: Final[frozenset[str]] = frozenset({ASGI_APP, AIOHTTP_APP, SANIC_APP})
# Task-queue apps: a program of their own (a worker process) that runs the app's code, with
# no lifespan the analysis can put init_redis() in. A repository that makes one beside its web
# app is not wired through the web app alone.
WORKER_APPS: Final[frozenset[str]] = frozenset({
    "celery.Celery", "celery.app.base.Celery", "dramatiq.set_broker", "huey.RedisHuey",
})

# FastAPI alone still runs `@app.on_event("startup")` hooks (Starlette 1.0 dropped them).
FASTAPI_CLASSES: Final[frozenset[str]] = frozenset({"fastapi.FastAPI",
                                                    "fastapi.applications.FastAPI"})

# ASGI apps that take `lifespan=` in their constructor: an app made with no hook at all gets
# one there. Litestar takes a list of them; FastAPI and Starlette take one.
LIFESPAN_CONSTRUCTORS: Final[dict[str, bool]] = {
    **dict.fromkeys((*sorted(FASTAPI_CLASSES), "starlette.applications.Starlette"), False),
    **dict.fromkeys(("litestar.Litestar", "litestar.app.Litestar"), True),
}

# python-inject: one injector per process, keyed by class. `binder.bind(Redis, client)` (in a
# config function given to `inject.configure`) stores the client under its class;
# `inject.instance(Redis)`, `inject.attr(Redis)` and the parameters of `@inject.autoparams` /
# `@inject.params(redis=Redis)` read it back.
INJECTOR: Final = "@inject.Injector"
INJECT_MODULE: Final = "inject"
INJECT_BIND_METHODS: Final[frozenset[str]] = frozenset({"bind"})
INJECT_READS: Final[frozenset[str]] = frozenset({"inject.instance", "inject.attr"})
INJECT_AUTOPARAMS: Final[frozenset[str]] = frozenset({"inject.autoparams"})
INJECT_PARAMS: Final[frozenset[str]] = frozenset({"inject.params"})


def injected(cls: str, injector: str = INJECTOR) -> str:
    """The injector's key for what is bound to the class `cls`."""
    return f"{injector}.[{cls}]"

# dishka: a `@provide` method (or function) of a `Provider` provides its return annotation's
# type (`-> Redis`, `-> AsyncIterator[Redis]`: what it returns or yields), and the container
# passes it to every parameter of that type: of other `@provide` methods, and of handlers
# through `FromDishka[Redis]`.
DISHKA_CONTAINER: Final = "@dishka.Container"
DISHKA_MODULE: Final = "dishka"
DISHKA_PROVIDE: Final[frozenset[str]] = frozenset({"dishka.provide",
                                                   "dishka.provider.provide"})
DISHKA_FROM: Final[frozenset[str]] = frozenset({"dishka.FromDishka",
                                                "dishka.integrations.base.FromDishka"})

# Litestar: `dependencies={"redis": Provide(provide_redis)}` on the app, a router, a controller
# or a handler; a route handler's parameter of that name receives what the provider returns or
# yields (Litestar injects by name).
LITESTAR_MODULE: Final = "litestar"
LITESTAR_DEPENDENCY: Final = "@litestar.Dependency"
LITESTAR_HANDLERS: Final[frozenset[str]] = frozenset(
    f"{module}.{name}" for module in ("litestar", "litestar.handlers")
    for name in ("get", "post", "put", "patch", "delete", "head", "route", "websocket"))


def named_dependency(name: str) -> str:
    """The key of what Litestar injects into parameters called `name`."""
    return f"{LITESTAR_DEPENDENCY}.[{name}]"
