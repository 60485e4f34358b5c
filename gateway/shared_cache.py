"""The process's one handle on Django's shared cache (Redis when REDIS_URL is set).

`django.core.cache.caches[alias]` is kept per asyncio context by asgiref, so under ASGI every
request would build its own backend, connection pool and Redis connection. The request path
uses this handle instead: one backend (and pool) per process, its blocking calls run on a small
pool of threads rather than Django's single sync thread, so concurrent requests do not queue
behind each other's Redis round trips.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.cache import caches

_backends: dict[str, Any] = {}
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway-cache")


def shared_cache(alias: str = "default"):
    backend = _backends.get(alias)
    if backend is None:
        backend = _backends[alias] = caches.create_connection(alias)
    return backend


def reset_shared_cache() -> None:
    """Forget the handles (tests that change CACHES); never on the request path."""
    _backends.clear()


async def call_on(alias: str, method: str, *args: Any, **kwargs: Any) -> Any:
    backend = shared_cache(alias)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(getattr(backend, method), *args, **kwargs))


async def call(method: str, *args: Any, **kwargs: Any) -> Any:
    """`method` of the default cache, e.g. `await call("get", key)`."""
    return await call_on("default", method, *args, **kwargs)
