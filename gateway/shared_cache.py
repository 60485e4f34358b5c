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

_backend = None
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gateway-cache")


def shared_cache():
    global _backend
    if _backend is None:
        _backend = caches.create_connection("default")
    return _backend


def reset_shared_cache() -> None:
    """Forget the handle (tests that change CACHES); never on the request path."""
    global _backend
    _backend = None


async def call(method: str, *args: Any, **kwargs: Any) -> Any:
    backend = shared_cache()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(getattr(backend, method), *args, **kwargs))
