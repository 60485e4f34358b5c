"""Request and token rate limits: exact in one process and across processes sharing Redis."""
import asyncio
import multiprocessing


from gateway import ratelimit
from gateway.errors import RateLimitedError
from gateway.principal import GatewayPrincipal
from gateway.ratelimit import admit_request, record_tokens
from gateway.ratelimit_local import LocalLimiter
from gateway.ratelimit_redis import RedisLimiter

LIMIT = 20
PROCESSES = 4


def principal(*, key_id=1, requests=LIMIT, window=60, tpm=None) -> GatewayPrincipal:
    return GatewayPrincipal(
        key_id=key_id,
        user_id=1,
        key_digest="d" * 64,
        rate_limit_requests=requests,
        rate_limit_window=window,
        tokens_per_minute=tpm,
        monthly_budget_usd=None,
    )


async def attempt(who: GatewayPrincipal, tokens: int = 0):
    try:
        await admit_request(who, estimated_tokens=tokens)
    except RateLimitedError as error:
        return error
    return "admitted"


def outcomes(results):
    admitted = [r for r in results if r == "admitted"]
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(admitted) + len(refused) == len(results)
    return admitted, refused


async def test_concurrent_requests_in_process_admit_exactly_the_limit(clock):
    results = await asyncio.gather(*(attempt(principal()) for _ in range(3 * LIMIT)))

    admitted, refused = outcomes(results)
    assert len(admitted) == LIMIT
    assert len(refused) == 2 * LIMIT
    assert all(e.status == 429 and e.retry_after >= 1 and e.headers["Retry-After"] == "60" for e in refused)


async def test_the_window_slides_and_retry_after_says_when(clock):
    who = principal(requests=2, window=10)
    assert await attempt(who) == "admitted"
    clock.now += 4
    assert await attempt(who) == "admitted"
    clock.now += 2

    refused = await attempt(who)

    assert refused.retry_after == 4  # the first request leaves the window 4 s from now
    clock.now += 4
    assert await attempt(who) == "admitted"
    assert isinstance(await attempt(who), RateLimitedError)


async def test_a_refused_request_is_not_counted(clock):
    who = principal(requests=1, window=10)
    assert await attempt(who) == "admitted"
    for _ in range(5):
        assert isinstance(await attempt(who), RateLimitedError)
    clock.now += 10
    assert await attempt(who) == "admitted"


async def test_keys_are_counted_apart(clock):
    assert await attempt(principal(key_id=1, requests=1)) == "admitted"
    assert await attempt(principal(key_id=2, requests=1)) == "admitted"
    assert isinstance(await attempt(principal(key_id=1, requests=1)), RateLimitedError)


async def test_a_raised_limit_applies_on_the_next_request(clock):
    assert await attempt(principal(requests=1)) == "admitted"
    assert isinstance(await attempt(principal(requests=1)), RateLimitedError)
    assert await attempt(principal(requests=2)) == "admitted"


async def test_a_limit_of_zero_refuses_everything(clock):
    refused = await attempt(principal(requests=0, window=30))
    assert refused.retry_after == 30


async def test_tokens_per_minute_refuses_until_enough_tokens_leave_the_window(clock):
    who = principal(tpm=100)
    assert await attempt(who, tokens=60) == "admitted"
    clock.now += 15

    refused = await attempt(who, tokens=50)

    assert "tokens per minute" in refused.message
    assert refused.retry_after == 45
    clock.now += 45
    assert await attempt(who, tokens=50) == "admitted"


async def test_actual_usage_corrects_the_token_estimate(clock):
    who = principal(tpm=100)
    assert await attempt(who, tokens=90) == "admitted"
    assert isinstance(await attempt(who, tokens=20), RateLimitedError)

    await record_tokens(who, estimated=90, actual=30)

    assert await attempt(who, tokens=20) == "admitted"


async def test_a_request_larger_than_the_token_limit_is_refused_outright(clock):
    refused = await attempt(principal(tpm=100), tokens=101)
    assert "more than this key's limit" in refused.message
    assert refused.retry_after == 60


async def test_concurrent_requests_through_redis_admit_exactly_the_limit(redis_prefix):
    results = await asyncio.gather(*(attempt(principal(key_id=7)) for _ in range(3 * LIMIT)))

    admitted, refused = outcomes(results)
    assert len(admitted) == LIMIT
    assert all(e.retry_after >= 1 for e in refused)


async def test_redis_tokens_per_minute_and_corrections(redis_prefix):
    who = principal(key_id=8, tpm=100)
    assert await attempt(who, tokens=90) == "admitted"
    refused = await attempt(who, tokens=20)
    assert "tokens per minute" in refused.message and 1 <= refused.retry_after <= 60

    await record_tokens(who, estimated=90, actual=30)

    assert await attempt(who, tokens=20) == "admitted"
    assert await attempt(who, tokens=50) == "admitted"
    assert isinstance(await attempt(who, tokens=1), RateLimitedError)


async def test_redis_retry_after_counts_from_the_oldest_request(redis_prefix):
    who = principal(key_id=9, requests=1, window=30)
    assert await attempt(who) == "admitted"
    refused = await attempt(who)
    assert 29 <= refused.retry_after <= 30


async def test_an_unreachable_redis_lets_requests_through():
    ratelimit.set_limiter(RedisLimiter(url="redis://127.0.0.1:1/0", prefix="unreachable:"))
    try:
        assert await attempt(principal(requests=0)) == "admitted"
    finally:
        ratelimit.set_limiter(None)


def fire_from_another_process(url, prefix, key_id, attempts, barrier, results):
    """A separate OS process with its own event loop and Redis connections, like a worker."""

    async def main():
        ratelimit.set_limiter(RedisLimiter(url=url, prefix=prefix))
        barrier.wait(timeout=60)
        outcome = await asyncio.gather(*(attempt(principal(key_id=key_id)) for _ in range(attempts)))
        return [o if o == "admitted" else ("refused", o.retry_after) for o in outcome]

    try:
        results.put(asyncio.run(main()))
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put(("child failed", repr(error)))
        raise


def test_four_processes_sharing_redis_admit_exactly_the_limit(redis_prefix, redis_url):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    per_process = 3 * LIMIT // PROCESSES
    workers = [
        context.Process(
            target=fire_from_another_process, args=(redis_url, redis_prefix, 11, per_process, barrier, results)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    flat = [outcome for batch in collected for outcome in batch]
    assert len(flat) == 3 * LIMIT
    assert flat.count("admitted") == LIMIT
    refusals = [o for o in flat if o != "admitted"]
    assert len(refusals) == 2 * LIMIT
    assert all(retry_after >= 1 for _, retry_after in refusals)


def test_the_redis_limiter_is_chosen_when_redis_is_configured(settings, redis_url):
    settings.REDIS_URL = redis_url
    ratelimit.set_limiter(None)
    try:
        assert isinstance(ratelimit.get_limiter(), RedisLimiter)
    finally:
        ratelimit.set_limiter(None)


def test_the_local_limiter_is_chosen_without_redis(settings):
    settings.REDIS_URL = ""
    ratelimit.set_limiter(None)
    try:
        assert isinstance(ratelimit.get_limiter(), LocalLimiter)
    finally:
        ratelimit.set_limiter(None)

