"""One load at a time per key: concurrent requests that miss the same cache entry share it.

Without this, every request in flight when an entry expires would read the database at once.
"""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Hashable, TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self):
        self._inflight: dict[Hashable, asyncio.Future] = {}

    async def run(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        future = self._inflight.get(key)
        if future is not None and future.get_loop() is asyncio.get_running_loop():
            return await asyncio.shield(future)
        future = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            value = await load()
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so an unawaited future does not warn
            raise
        else:
            future.set_result(value)
            return value
        finally:
            if self._inflight.get(key) is future:
                del self._inflight[key]
