"""Rate limits and budgets on Redis stay exact when one worker has many requests in flight.

The soak found it: with 200 clients, a worker's Redis client ran out of pooled connections
(redis-py's asyncio pool refuses the 101st concurrent command with MaxConnectionsError), and the
limiter, reading that as "Redis unavailable", let requests through uncounted.
"""
import asyncio
import uuid
from decimal import Decimal

import pytest

from gateway import ratelimit
from gateway.errors import RateLimitedError
from gateway.principal import GatewayPrincipal
from gateway.ratelimit_redis import RedisLimiter
from tests.e2e.gunicorn import ScratchRedis

IN_FLIGHT = 300
LIMIT = 250


def principal(*, requests: int = LIMIT, budget: Decimal | None = None) -> GatewayPrincipal:
    return GatewayPrincipal(key_id=1, user_id=1, key_digest="d" * 64, rate_limit_requests=requests,
                            rate_limit_window=60, tokens_per_minute=None, monthly_budget_usd=budget)


async def nothing_spent(key_id: int, month: str) -> Decimal:
    return Decimal(0)


@pytest.fixture
def limiter():
    with ScratchRedis() as scratch:
        limiter = RedisLimiter(url=scratch.url, prefix=f"gwload-{uuid.uuid4().hex[:8]}:")
        ratelimit.set_limiter(limiter)
        limiter.spend_loader = nothing_spent  # this month's spend would come from the database
        yield limiter
        ratelimit.set_limiter(None)


async def outcomes(calls) -> tuple[int, int]:
    """(admitted, refused) of concurrent calls; anything else propagates."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, RateLimitedError):
            raise result
    refused = sum(isinstance(result, RateLimitedError) for result in results)
    return len(results) - refused, refused


async def test_a_request_limit_stays_exact_with_hundreds_of_requests_in_flight_in_one_worker(limiter):
    key = principal()
    admitted, refused = await outcomes(ratelimit.admit_request(key, estimated_tokens=10) for _ in range(IN_FLIGHT))
    await limiter.close()

    assert (admitted, refused) == (LIMIT, IN_FLIGHT - LIMIT)


async def test_a_budget_is_never_refused_as_unavailable_because_many_requests_are_in_flight(limiter):
    key = principal(requests=10_000, budget=Decimal("100"))
    admitted, refused = await outcomes(ratelimit.reserve_budget(key, amount_usd=Decimal("0.01")) for _ in range(IN_FLIGHT))
    await limiter.close()

    assert (admitted, refused) == (IN_FLIGHT, 0)
