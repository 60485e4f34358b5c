"""Blocking ORM work from the event loop: a small dedicated thread pool.

The /v1 path never touches the ORM on the event loop. The few reads it needs on a cache miss
(a gateway key, a user's provider keys, the registry) run here; each job first drops
connections that are too old or broken, as Django does at the start of a request.
"""
from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from django.db import close_old_connections

T = TypeVar("T")
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gateway-db")


def _run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    close_old_connections()
    return fn(*args, **kwargs)


async def run_db(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(_run, fn, *args, **kwargs))
