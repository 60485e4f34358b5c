"""Rate limits and monthly budgets per gateway key, exact across workers and hosts.

Contract for the request path (everything async; nothing blocks the event loop):

- `await admit_request(principal, estimated_tokens=N)` counts one request against
  `principal.rate_limit_requests` per `principal.rate_limit_window` seconds and, when
  `principal.tokens_per_minute` is set, N tokens (prompt + expected output) against it, both in a
  sliding window. It raises `RateLimitedError` (429; Retry-After = when the oldest counted
  request or enough counted tokens leave the window) and counts nothing when it refuses.
- `await record_tokens(principal, estimated=N, actual=M)` corrects the token count with the
  real usage once it is known (M - N is added now; it may be negative).
- `await reserve_budget(principal, amount_usd=X)` holds X against the key's monthly budget
  (calendar month, UTC) before the provider call; None when the key has no budget. It raises
  `RateLimitedError` with code `budget_exceeded` when spent + reserved + X would pass the budget
  (Retry-After: seconds to the next month). Reservations are exact: concurrent requests can
  never hold more than the budget.
- `await settle_budget(reservation, actual_usd=Y)` releases the hold and adds the real cost.
  Idempotent. An unpriced answer (Y is None) is charged the reserved amount: the estimate is
  the best figure we have, and for an unpriced model the estimate is 0. A reservation whose
  worker died is released after `BUDGET_RESERVATION_TTL` seconds; settling it later still adds
  its cost once.
- `set_spend_loader(async fn(key_id, "YYYY-MM") -> Decimal)`: where the month's spend comes
  from when this module has no counter for it (a restart without Redis, a flushed Redis); it is
  asked once per key and month, and the first answer wins.

With `REDIS_URL` set, each check is one Lua script (gateway/ratelimit_*.lua) run atomically by
Redis on Redis's clock, so every worker and host shares exact counts. Without it, the counts
live in this process (one worker). Limits are read from the principal on every call, so a
changed limit applies as soon as the auth cache re-reads the key (within a second).
If Redis cannot be reached, request and token limits let the request through (logged); a
budget refuses it with Retry-After 1 rather than spend money it cannot count.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Awaitable, Callable

from redis.exceptions import RedisError

from gateway.conf import settings
from gateway.errors import RateLimitedError
from gateway.principal import GatewayPrincipal

logger = logging.getLogger(__name__)

TOKEN_WINDOW_SECONDS = 60
MICRO = Decimal("0.000001")
# A backend that cannot be reached raises one of these.
UNAVAILABLE = (ConnectionError, OSError, TimeoutError, RedisError)
SpendLoader = Callable[[int, str], Awaitable[Decimal]]


@dataclass(frozen=True)
class Refusal:
    """Why a backend refused: `reason` is "requests" or "tokens"; `retry_after` in seconds."""

    reason: str
    retry_after: float


@dataclass(frozen=True)
class BudgetReservation:
    key_id: int
    month: str
    reservation_id: str
    amount_usd: Decimal


def to_micro_usd(amount: Decimal) -> int:
    """Budgets count whole micro-dollars, rounded up: a charge is never rounded away."""
    return int(max(Decimal(0), Decimal(amount)).quantize(MICRO, rounding=ROUND_CEILING) / MICRO)


def current_month(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return f"{now.year:04d}-{now.month:02d}"


def next_month_start(now: dt.datetime) -> dt.datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.timezone.utc)


def seconds_to_next_month(now: dt.datetime | None = None) -> float:
    now = now or dt.datetime.now(dt.timezone.utc)
    return (next_month_start(now) - now).total_seconds()


async def _zero_spend(key_id: int, month: str) -> Decimal:
    return Decimal(0)


class Limiter:
    """A backend: counts requests, tokens and budget holds for gateway keys."""

    spend_loader: SpendLoader = staticmethod(_zero_spend)

    async def admit(
        self, key_id: int, *, limit: int, window: int, tokens_per_minute: int | None, tokens: int
    ) -> Refusal | None:
        raise NotImplementedError

    async def add_tokens(self, key_id: int, *, tokens: int) -> None:
        raise NotImplementedError

    async def reserve(self, key_id: int, month: str, *, amount: int, budget: int, reservation_id: str) -> bool:
        raise NotImplementedError

    async def settle(self, key_id: int, month: str, *, reservation_id: str, actual: int | None) -> None:
        raise NotImplementedError


_limiter: Limiter | None = None
_spend_loader: SpendLoader = _zero_spend


def get_limiter() -> Limiter:
    global _limiter
    if _limiter is None:
        if settings.REDIS_URL:
            from gateway.ratelimit_redis import RedisLimiter

            _limiter = RedisLimiter(url=settings.REDIS_URL, prefix=getattr(settings, "RATE_LIMIT_KEY_PREFIX", "gw:"))
        else:
            from gateway.ratelimit_local import LocalLimiter

            _limiter = LocalLimiter()
        _limiter.spend_loader = _spend_loader
    return _limiter


def set_limiter(limiter: Limiter | None) -> None:
    """Use this backend (tests), or None to choose again from settings on next use."""
    global _limiter
    _limiter = limiter
    if limiter is not None:
        limiter.spend_loader = _spend_loader


def get_spend_loader() -> SpendLoader:
    return _spend_loader


def set_spend_loader(loader: SpendLoader) -> None:
    global _spend_loader
    _spend_loader = loader
    if _limiter is not None:
        _limiter.spend_loader = loader


async def admit_request(principal: GatewayPrincipal, *, estimated_tokens: int) -> None:
    tpm = principal.tokens_per_minute
    if tpm is not None and estimated_tokens > tpm:
        raise RateLimitedError(
            f"This request needs about {estimated_tokens} tokens, more than this key's limit of "
            f"{tpm} tokens per minute. Send a shorter request or lower max_tokens.",
            retry_after=TOKEN_WINDOW_SECONDS,
        )
    try:
        refusal = await get_limiter().admit(
            principal.key_id,
            limit=principal.rate_limit_requests,
            window=principal.rate_limit_window,
            tokens_per_minute=tpm,
            tokens=max(0, int(estimated_tokens)),
        )
    except UNAVAILABLE as error:
        logger.error("rate limiter unavailable, request admitted uncounted: %s", type(error).__name__)
        return
    if refusal is None:
        return
    if refusal.reason == "tokens":
        message = f"Rate limit reached: {tpm} tokens per minute for this key."
    else:
        message = (
            f"Rate limit reached: {principal.rate_limit_requests} requests per "
            f"{principal.rate_limit_window} seconds for this key."
        )
    raise RateLimitedError(
        f"{message} Retry after {max(1, round(refusal.retry_after))} s.", retry_after=refusal.retry_after
    )


async def record_tokens(principal: GatewayPrincipal, *, estimated: int, actual: int) -> None:
    if principal.tokens_per_minute is None or actual == estimated:
        return
    try:
        await get_limiter().add_tokens(principal.key_id, tokens=int(actual) - int(estimated))
    except UNAVAILABLE as error:
        logger.error("rate limiter unavailable, token correction lost: %s", type(error).__name__)


async def reserve_budget(principal: GatewayPrincipal, *, amount_usd: Decimal) -> BudgetReservation | None:
    if principal.monthly_budget_usd is None:
        return None
    month = current_month()
    reservation = BudgetReservation(principal.key_id, month, uuid.uuid4().hex, Decimal(amount_usd))
    try:
        is_admitted = await get_limiter().reserve(
            principal.key_id,
            month,
            amount=to_micro_usd(amount_usd),
            budget=int(Decimal(principal.monthly_budget_usd) / MICRO),
            reservation_id=reservation.reservation_id,
        )
    except UNAVAILABLE as error:
        logger.error("budget store unavailable, request refused: %s", type(error).__name__)
        raise RateLimitedError(
            "The budget for this key cannot be checked right now. Retry shortly.",
            retry_after=1,
            code="budget_unavailable",
        ) from error
    if not is_admitted:
        raise RateLimitedError(
            f"This key's monthly budget of ${principal.monthly_budget_usd} is used up for {month} "
            "(spent and in-flight requests). It resets at the start of next month (UTC).",
            retry_after=seconds_to_next_month(),
            code="budget_exceeded",
        )
    return reservation


async def settle_budget(reservation: BudgetReservation | None, *, actual_usd: Decimal | None) -> None:
    if reservation is None:
        return
    actual = None if actual_usd is None else to_micro_usd(actual_usd)
    try:
        await get_limiter().settle(
            reservation.key_id, reservation.month, reservation_id=reservation.reservation_id, actual=actual
        )
    except UNAVAILABLE as error:
        logger.error("budget store unavailable, settlement lost: %s", type(error).__name__)


def reservation_ttl() -> float:
    return float(getattr(settings, "BUDGET_RESERVATION_TTL", max(600.0, 4 * settings.REQUEST_DEADLINE)))
