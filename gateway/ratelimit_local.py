"""The in-process limiter (no REDIS_URL: one worker).

Each check reads and writes its counters without an await in between, so concurrent asyncio
tasks see exact counts without a lock. Sliding windows are deques of timestamps (requests) and
of (timestamp, tokens) pairs; a key's deques are dropped once they are empty.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from gateway.ratelimit import MICRO, TOKEN_WINDOW_SECONDS, Limiter, Refusal, reservation_ttl


@dataclass
class _MonthSpend:
    spent: int  # micro-USD
    reserved: int = 0
    holds: dict[str, tuple[int, float]] = field(default_factory=dict)  # id -> (amount, expires)
    expired: dict[str, int] = field(default_factory=dict)  # released by TTL, cost still to add


class LocalLimiter(Limiter):
    def __init__(self, *, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._requests: dict[int, deque[float]] = {}
        self._tokens: dict[int, deque[tuple[float, int]]] = {}
        self._spend: dict[tuple[int, str], _MonthSpend] = {}

    async def admit(
        self, key_id: int, *, limit: int, window: int, tokens_per_minute: int | None, tokens: int
    ) -> Refusal | None:
        now = self.clock()
        log = self._requests.get(key_id) or deque()
        while log and log[0] <= now - window:
            log.popleft()
        if len(log) >= limit:
            self._keep(self._requests, key_id, log)
            if limit <= 0:
                return Refusal("requests", window)
            return Refusal("requests", log[len(log) - limit] + window - now)
        if tokens_per_minute is not None:
            refusal = self._check_tokens(key_id, now, tokens_per_minute, tokens)
            if refusal is not None:
                self._keep(self._requests, key_id, log)
                return refusal
            if tokens:
                self._tokens.setdefault(key_id, deque()).append((now, tokens))
        log.append(now)
        self._requests[key_id] = log
        return None

    def _check_tokens(self, key_id: int, now: float, limit: int, tokens: int) -> Refusal | None:
        log = self._tokens.get(key_id)
        if not log:
            return None
        while log and log[0][0] <= now - TOKEN_WINDOW_SECONDS:
            log.popleft()
        used = sum(weight for _, weight in log)
        if used + tokens <= limit:
            return None
        freed = 0
        for at, weight in log:
            freed += weight
            if used - freed + tokens <= limit:
                return Refusal("tokens", at + TOKEN_WINDOW_SECONDS - now)
        return Refusal("tokens", TOKEN_WINDOW_SECONDS)

    @staticmethod
    def _keep(store: dict, key_id: int, log: deque) -> None:
        if log:
            store[key_id] = log
        else:
            store.pop(key_id, None)

    async def add_tokens(self, key_id: int, *, tokens: int) -> None:
        if tokens:
            self._tokens.setdefault(key_id, deque()).append((self.clock(), tokens))

    async def _month(self, key_id: int, month: str) -> _MonthSpend:
        state = self._spend.get((key_id, month))
        if state is None:
            loaded = await self.spend_loader(key_id, month)
            # Two first requests may both load; the first answer wins and both share it.
            state = self._spend.setdefault((key_id, month), _MonthSpend(spent=int(Decimal(loaded) / MICRO)))
        return state

    async def reserve(self, key_id: int, month: str, *, amount: int, budget: int, reservation_id: str) -> bool:
        state = await self._month(key_id, month)
        now = self.clock()
        for hold_id, (held, expires) in list(state.holds.items()):
            if expires <= now:
                del state.holds[hold_id]
                state.reserved -= held
                state.expired[hold_id] = held
        if state.spent + state.reserved + amount > budget:
            return False
        state.reserved += amount
        state.holds[reservation_id] = (amount, now + reservation_ttl())
        return True

    async def settle(self, key_id: int, month: str, *, reservation_id: str, actual: int | None) -> None:
        state = self._spend.get((key_id, month))
        if state is None:
            return
        hold = state.holds.pop(reservation_id, None)
        if hold is not None:
            state.reserved -= hold[0]
            state.spent += hold[0] if actual is None else actual
        elif reservation_id in state.expired:
            held = state.expired.pop(reservation_id)
            state.spent += held if actual is None else actual

    def spent_micro_usd(self, key_id: int, month: str) -> tuple[int, int] | None:
        """(spent, reserved) for a key's month, or None when never counted (tests, admin)."""
        state = self._spend.get((key_id, month))
        return None if state is None else (state.spent, state.reserved)
