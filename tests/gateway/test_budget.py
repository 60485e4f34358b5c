"""Monthly budgets: reserved before the call, settled after it, never overshot under concurrency."""
import asyncio
import multiprocessing
from decimal import Decimal

import pytest

from gateway import ratelimit
from gateway.errors import RateLimitedError
from gateway.principal import GatewayPrincipal
from gateway.ratelimit import current_month, reserve_budget, seconds_to_next_month, settle_budget
from gateway.ratelimit_redis import RedisLimiter

PROCESSES = 4


def principal(*, key_id=1, budget="3.00") -> GatewayPrincipal:
    return GatewayPrincipal(
        key_id=key_id,
        user_id=1,
        key_digest="d" * 64,
        rate_limit_requests=1000,
        rate_limit_window=60,
        tokens_per_minute=None,
        monthly_budget_usd=None if budget is None else Decimal(budget),
    )


async def no_spend_yet(key_id, month):
    return Decimal(0)


@pytest.fixture(autouse=True)
def spend_starts_at_zero():
    """The app's loader reads usage records; these tests start every month at $0."""
    app_loader = ratelimit.get_spend_loader()
    ratelimit.set_spend_loader(no_spend_yet)
    yield
    ratelimit.set_spend_loader(app_loader)


async def try_reserve(who: GatewayPrincipal, amount: str):
    try:
        return await reserve_budget(who, amount_usd=Decimal(amount))
    except RateLimitedError as error:
        return error


async def spent(key_id: int) -> tuple[int, int] | None:
    result = ratelimit.get_limiter().spent_micro_usd(key_id, current_month())
    return await result if asyncio.iscoroutine(result) else result


async def test_a_key_without_a_budget_reserves_nothing(clock):
    assert await reserve_budget(principal(budget=None), amount_usd=Decimal("100")) is None
    await settle_budget(None, actual_usd=Decimal("1"))


async def check_eight_concurrent_against_three(key_id: int):
    results = await asyncio.gather(*(try_reserve(principal(key_id=key_id), "1.00") for _ in range(8)))

    held = [r for r in results if not isinstance(r, RateLimitedError)]
    refused = [r for r in results if isinstance(r, RateLimitedError)]
    assert len(held) == 3
    assert len(refused) == 5
    assert all(e.code == "budget_exceeded" and e.status == 429 for e in refused)
    assert all(1 <= e.retry_after <= seconds_to_next_month() + 1 for e in refused)
    assert await spent(key_id) == (0, 3_000_000)
    return held


async def test_eight_concurrent_reservations_against_a_budget_for_three_hold_three(clock):
    await check_eight_concurrent_against_three(key_id=21)


async def test_eight_concurrent_reservations_through_redis_hold_three(redis_prefix):
    await check_eight_concurrent_against_three(key_id=22)


async def check_settle_is_idempotent(key_id: int):
    who = principal(key_id=key_id)
    first = await reserve_budget(who, amount_usd=Decimal("1.00"))

    await settle_budget(first, actual_usd=Decimal("0.40"))
    await settle_budget(first, actual_usd=Decimal("0.40"))
    await settle_budget(first, actual_usd=None)

    assert await spent(key_id) == (400_000, 0)
    assert await try_reserve(who, "2.60") is not None
    assert isinstance(await try_reserve(who, "0.000001"), RateLimitedError)


async def test_settling_twice_counts_the_cost_once(clock):
    await check_settle_is_idempotent(key_id=23)


async def test_settling_twice_through_redis_counts_the_cost_once(redis_prefix):
    await check_settle_is_idempotent(key_id=24)


async def test_an_unpriced_answer_is_charged_the_reserved_amount(clock):
    reservation = await reserve_budget(principal(key_id=25), amount_usd=Decimal("0.25"))
    await settle_budget(reservation, actual_usd=None)
    assert await spent(25) == (250_000, 0)


async def test_costs_round_up_to_the_micro_dollar(clock):
    reservation = await reserve_budget(principal(key_id=26), amount_usd=Decimal("0.0000001"))
    await settle_budget(reservation, actual_usd=Decimal("0.00000101"))
    assert await spent(26) == (2, 0)


async def test_the_spend_loader_seeds_the_month_once(clock):
    calls = []

    async def loader(key_id, month):
        calls.append((key_id, month))
        return Decimal("2.50")

    ratelimit.set_spend_loader(loader)
    who = principal(key_id=27)

    assert isinstance(await try_reserve(who, "0.60"), RateLimitedError)
    assert await try_reserve(who, "0.50") is not None
    assert calls == [(27, current_month())]


async def test_redis_is_seeded_by_the_first_worker_only(redis_prefix, redis_url):
    async def first_loader(key_id, month):
        return Decimal("2.00")

    async def second_loader(key_id, month):
        return Decimal("0")

    first_worker = ratelimit.get_limiter()
    second_worker = RedisLimiter(url=redis_url, prefix=redis_prefix)
    ratelimit.set_spend_loader(first_loader)
    assert await try_reserve(principal(key_id=28), "0.50") is not None

    ratelimit.set_limiter(second_worker)
    ratelimit.set_spend_loader(second_loader)
    assert isinstance(await try_reserve(principal(key_id=28), "0.60"), RateLimitedError)
    assert await second_worker.spent_micro_usd(28, current_month()) == (2_000_000, 500_000)
    ratelimit.set_limiter(first_worker)


async def test_a_forgotten_reservation_is_released_and_a_late_settlement_still_counts(clock, settings):
    settings.BUDGET_RESERVATION_TTL = 600
    who = principal(key_id=29)
    forgotten = await reserve_budget(who, amount_usd=Decimal("3.00"))
    assert isinstance(await try_reserve(who, "1.00"), RateLimitedError)

    clock.now += 601
    later = await reserve_budget(who, amount_usd=Decimal("1.00"))
    await settle_budget(forgotten, actual_usd=Decimal("1.50"))
    await settle_budget(forgotten, actual_usd=Decimal("1.50"))

    assert await spent(29) == (1_500_000, 1_000_000)
    await settle_budget(later, actual_usd=Decimal("1.00"))
    assert await spent(29) == (2_500_000, 0)


async def test_an_unreachable_budget_store_refuses_with_a_short_retry():
    ratelimit.set_limiter(RedisLimiter(url="redis://127.0.0.1:1/0", prefix="unreachable:"))
    try:
        refused = await try_reserve(principal(), "0.01")
    finally:
        ratelimit.set_limiter(None)
    assert refused.code == "budget_unavailable"
    assert refused.retry_after == 1


def reserve_from_another_process(url, prefix, key_id, attempts, barrier, results):
    """A separate OS process with its own event loop and Redis connections, like a worker."""
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.test_settings")
    django.setup()

    async def main():
        ratelimit.set_limiter(RedisLimiter(url=url, prefix=prefix))
        ratelimit.set_spend_loader(no_spend_yet)
        barrier.wait(timeout=60)
        outcome = await asyncio.gather(*(try_reserve(principal(key_id=key_id), "1.00") for _ in range(attempts)))
        return ["held" if not isinstance(o, RateLimitedError) else o.code for o in outcome]

    try:
        results.put(asyncio.run(main()))
    except Exception as error:  # reported to the parent, which fails the test with it
        results.put(("child failed", repr(error)))
        raise


def test_eight_reservations_from_four_processes_sharing_redis_hold_three(redis_prefix, redis_url):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=reserve_from_another_process, args=(redis_url, redis_prefix, 30, 2, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    collected = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    flat = [outcome for batch in collected for outcome in batch]
    assert flat.count("held") == 3
    assert flat.count("budget_exceeded") == 5
