"""Rate limits and budgets through gunicorn with 4 workers sharing Redis: exact, not 4x the limit."""
import asyncio
import time
from decimal import Decimal

import httpx
import pytest
import redis
from django.conf import settings

from keys.services import gateway_key_update
from tests.e2e.conftest import MODELS
from tests.e2e.gunicorn import GunicornGateway
from tests.fakes.vendors import Behaviour

WORKERS = 4
LIMIT = 12


@pytest.fixture
def redis_url():
    return settings.REDIS_URL or "redis://127.0.0.1:6379/0"


def forget_counters(redis_url: str, key_id: int) -> None:
    """Key ids restart with each test database: drop what an earlier run left for this id."""
    client = redis.Redis.from_url(redis_url)
    prefix = settings.RATE_LIMIT_KEY_PREFIX
    for pattern in (f"{prefix}rl:{{{key_id}}}:*", f"{prefix}budget:{{{key_id}}}:*"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    client.close()


@pytest.fixture
def gateway(world, redis_url):
    forget_counters(redis_url, world.key.id)
    server = None

    def start():
        nonlocal server
        server = GunicornGateway(workers=WORKERS, redis_url=redis_url).start()
        assert len(server.worker_pids()) == WORKERS
        return server

    yield start
    if server is not None:
        server.stop()
    forget_counters(redis_url, world.key.id)


async def fire(url: str, raw_key: str, count: int, *, tag: str, max_tokens: int | None = None) -> list[httpx.Response]:
    """`count` concurrent requests, each a different question, none answered from the cache."""
    headers = {"Authorization": f"Bearer {raw_key}", "x-gateway-cache": "no-cache"}
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:

        async def one(index: int) -> httpx.Response:
            body = {"model": MODELS["openai"], "messages": [{"role": "user", "content": f"{tag} question {index}"}]}
            if max_tokens is not None:
                body["max_tokens"] = max_tokens
            return await client.post("/v1/chat/completions", json=body)

        return await asyncio.gather(*(one(index) for index in range(count)))


def split(responses: list[httpx.Response]) -> tuple[list[httpx.Response], list[httpx.Response]]:
    admitted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(admitted) + len(refused) == len(responses), [r.status_code for r in responses]
    return admitted, refused


def test_three_times_the_limit_across_four_workers_admits_exactly_the_limit(gateway, world):
    gateway_key_update(key=world.key, rate_limit_rpm=LIMIT)
    server = gateway()

    admitted, refused = split(asyncio.run(fire(server.url, world.raw_key, 3 * LIMIT, tag="burst")))

    assert len(admitted) == LIMIT
    assert len(refused) == 2 * LIMIT
    for response in refused:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert len(world.fake.requests) == LIMIT


def test_a_raised_limit_reaches_every_worker_within_a_second(gateway, world):
    gateway_key_update(key=world.key, rate_limit_rpm=LIMIT)
    server = gateway()
    admitted, _ = split(asyncio.run(fire(server.url, world.raw_key, LIMIT + 4, tag="before")))
    assert len(admitted) == LIMIT

    gateway_key_update(key=world.key, rate_limit_rpm=LIMIT + 3)
    time.sleep(settings.GATEWAY_KEY_CACHE_TTL + 0.2)
    admitted, refused = split(asyncio.run(fire(server.url, world.raw_key, 3 * WORKERS, tag="after")))

    assert len(admitted) == 3
    assert len(refused) == 3 * WORKERS - 3


def test_eight_concurrent_requests_against_a_budget_for_three_admit_at_most_four(gateway, world):
    # Each request holds about $0.004 (1,000 output tokens at $4 per million); $0.0135 affords 3.
    gateway_key_update(key=world.key, monthly_budget_usd=Decimal("0.0135"))
    # The vendor holds every answer a moment, so all eight reserve before any settles.
    world.fake.enqueue("openai", *[Behaviour(delay=3.0)] * 8)
    server = gateway()

    admitted, refused = split(asyncio.run(fire(server.url, world.raw_key, 8, tag="budget", max_tokens=1000)))

    assert 1 <= len(admitted) <= 4
    assert len(admitted) == 3  # reservations are exact, so not even the one-request overshoot
    for response in refused:
        assert response.json()["error"]["code"] == "budget_exceeded"
        assert int(response.headers["Retry-After"]) >= 1
