"""The Redis limiter: exact counts shared by every worker and host.

Each check is one Lua script (ratelimit_*.lua beside this file), which Redis runs atomically on
its own clock: no read-then-write race between workers, no skew between hosts' clocks. Keys
carry the gateway key id in a hash tag so a key's logs share a Redis Cluster slot.

One `redis.asyncio` client per event loop (a worker has one; tests start several), made lazily.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
import weakref
from decimal import Decimal
from pathlib import Path

import redis.asyncio as redis

from gateway.ratelimit import MICRO, Limiter, Refusal, next_month_start, reservation_ttl

SCRIPT_DIR = Path(__file__).resolve().parent
SCRIPT_NAMES = ("admit", "tokens", "reserve", "settle", "seed")
# A month's counters outlive the month by a week, for late settlements and reports.
MONTH_KEY_GRACE = dt.timedelta(days=7)
POOL_SIZE = 64
POOL_TIMEOUT = 5.0


def _load_script(name: str) -> str:
    return (SCRIPT_DIR / f"ratelimit_{name}.lua").read_text()


SCRIPT_SOURCES = {name: _load_script(name) for name in SCRIPT_NAMES}


class _LoopClient:
    def __init__(self, url: str):
        # A blocking pool: under a burst, commands wait for a free connection (up to 5 s) instead
        # of failing past the pool's size, which would let requests through uncounted.
        pool = redis.BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=POOL_TIMEOUT)
        self.client = redis.Redis(connection_pool=pool)
        self.scripts = {name: self.client.register_script(source) for name, source in SCRIPT_SOURCES.items()}


class RedisLimiter(Limiter):
    def __init__(self, *, url: str, prefix: str = "gw:"):
        self.url = url
        self.prefix = prefix
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = weakref.WeakKeyDictionary()

    def _loop_client(self) -> _LoopClient:
        loop = asyncio.get_running_loop()
        loop_client = self._clients.get(loop)
        if loop_client is None:
            loop_client = self._clients[loop] = _LoopClient(self.url)
        return loop_client

    @property
    def client(self) -> redis.Redis:
        return self._loop_client().client

    async def close(self) -> None:
        loop_client = self._clients.pop(asyncio.get_running_loop(), None)
        if loop_client is not None:
            await loop_client.client.aclose()

    def _script(self, name: str):
        return self._loop_client().scripts[name]

    def request_log_key(self, key_id: int) -> str:
        return f"{self.prefix}rl:{{{key_id}}}:req"

    def token_log_key(self, key_id: int) -> str:
        return f"{self.prefix}rl:{{{key_id}}}:tok"

    def month_keys(self, key_id: int, month: str) -> list[str]:
        return [f"{self.prefix}budget:{{{key_id}}}:{month}", f"{self.prefix}budget:{{{key_id}}}:{month}:holds"]

    async def admit(
        self, key_id: int, *, limit: int, window: int, tokens_per_minute: int | None, tokens: int
    ) -> Refusal | None:
        is_admitted, retry_ms, reason = await self._script("admit")(
            keys=[self.request_log_key(key_id), self.token_log_key(key_id)],
            args=[
                int(limit),
                int(window * 1000),
                -1 if tokens_per_minute is None else int(tokens_per_minute),
                int(tokens),
                uuid.uuid4().hex,
            ],
        )
        if is_admitted:
            return None
        return Refusal(reason.decode() if isinstance(reason, bytes) else reason, int(retry_ms) / 1000)

    async def add_tokens(self, key_id: int, *, tokens: int) -> None:
        if tokens:
            await self._script("tokens")(keys=[self.token_log_key(key_id)], args=[uuid.uuid4().hex, int(tokens)])

    @staticmethod
    def _expires_at(month: str) -> int:
        year, number = (int(part) for part in month.split("-"))
        start = dt.datetime(year, number, 1, tzinfo=dt.timezone.utc)
        return int((next_month_start(start) + MONTH_KEY_GRACE).timestamp())

    async def reserve(self, key_id: int, month: str, *, amount: int, budget: int, reservation_id: str) -> bool:
        keys = self.month_keys(key_id, month)
        expires_at = self._expires_at(month)
        args = [int(amount), int(budget), reservation_id, int(reservation_ttl() * 1000), expires_at]
        status = await self._script("reserve")(keys=keys, args=args)
        if status == -1:
            loaded = await self.spend_loader(key_id, month)
            await self._script("seed")(keys=keys[:1], args=[int(Decimal(loaded) / MICRO), expires_at])
            status = await self._script("reserve")(keys=keys, args=args)
        return status == 1

    async def settle(self, key_id: int, month: str, *, reservation_id: str, actual: int | None) -> None:
        await self._script("settle")(
            keys=self.month_keys(key_id, month), args=[reservation_id, "" if actual is None else int(actual)]
        )

    async def spent_micro_usd(self, key_id: int, month: str) -> tuple[int, int] | None:
        """(spent, reserved) for a key's month, or None when never counted (tests, admin)."""
        values = await self.client.hmget(self.month_keys(key_id, month)[0], ["spent", "reserved"])
        if values[0] is None:
            return None
        return int(values[0]), int(values[1] or 0)
