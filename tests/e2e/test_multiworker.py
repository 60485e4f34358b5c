"""Four gunicorn workers sharing Redis and the database: limits, revocations, budgets and metrics
hold for the deployment as a whole, not per worker.

Each test starts the gateway as deployed (tests/e2e/gunicorn.py) on a Redis database of its own,
with the registry pointing at the fake vendors of this process. Requests go out concurrently, one
connection each, so the kernel hands them to different workers; `requests_by_worker` (read from
each worker's Prometheus file) shows that more than one worker answered.
"""
import asyncio
import time
from collections import Counter
from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from analytics.models import UsageRecord
from gateway.ratelimit import current_month, to_micro_usd
from gateway.ratelimit_redis import RedisLimiter
from keys.services import gateway_key_revoke, gateway_key_update
from tests.e2e.conftest import MODELS, wait_for_records
from tests.e2e.gunicorn import GunicornGateway, PrivateRedis, ScratchRedis
from tests.fakes.vendors import Behaviour

WORKERS = 4
LIMIT = 20
SWITCH_DELAY = settings.GATEWAY_KEY_CACHE_TTL + 0.2
ERROR_FIELDS = {"message", "type", "param", "code"}


@pytest.fixture
def gateway(world):
    """start() -> a running 4-worker gateway on a scratch Redis database; stopped at the end."""
    with ScratchRedis() as scratch:
        servers = []

        def start() -> GunicornGateway:
            server = GunicornGateway(workers=WORKERS, redis_url=scratch.url).start()
            servers.append(server)
            assert len(server.worker_pids()) == WORKERS
            return server

        start.redis = scratch
        yield start
        for server in servers:
            server.stop()


async def _fire(url: str, raw_key: str, count: int, *, tag: str, stream_every: int = 0, max_tokens: int | None = None):
    headers = {"Authorization": f"Bearer {raw_key}", "x-gateway-cache": "no-cache"}
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:

        async def one(index: int) -> httpx.Response:
            provider = list(MODELS)[index % 3]
            body = {"model": MODELS[provider], "messages": [{"role": "user", "content": f"{tag} question {index}"}]}
            if max_tokens is not None:
                body["max_tokens"] = max_tokens
            if stream_every and index % stream_every == 0:
                body["stream"] = True
                async with client.stream("POST", "/v1/chat/completions", json=body) as response:
                    await response.aread()
                return response
            return await client.post("/v1/chat/completions", json=body)

        return await asyncio.gather(*(one(index) for index in range(count)))


def fire(server: GunicornGateway, raw_key: str, count: int, **options) -> list[httpx.Response]:
    """`count` concurrent requests, each a different question, none answered from the cache."""
    return asyncio.run(_fire(server.url, raw_key, count, **options))


def statuses(responses: list[httpx.Response]) -> Counter:
    return Counter(response.status_code for response in responses)


def assert_openai_error(response: httpx.Response, *, code: str) -> None:
    error = response.json()["error"]
    assert set(error) == ERROR_FIELDS
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]


def final_records(server: GunicornGateway, count: int) -> list[UsageRecord]:
    """The records once `count` exist, read again after a graceful stop (nothing more may come)."""
    wait_for_records(count, timeout=30)
    server.stop()
    return list(UsageRecord.objects.all())


def test_three_times_the_limit_admits_exactly_the_limit_and_records_every_request(gateway, world):
    gateway_key_update(key=world.key, rate_limit_rpm=LIMIT)
    server = gateway()

    responses = fire(server, world.raw_key, 3 * LIMIT, tag="burst")

    assert statuses(responses) == {200: LIMIT, 429: 2 * LIMIT}
    for response in responses:
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert_openai_error(response, code="rate_limit_exceeded")
    assert len(server.requests_by_worker()) > 1
    records = final_records(server, 3 * LIMIT)
    assert len(records) == 3 * LIMIT
    assert Counter(r.status for r in records) == {200: LIMIT, 429: 2 * LIMIT}
    assert {r.request_id for r in records} == {r.headers["x-gateway-request-id"] for r in responses}
    assert len(world.fake.requests) == LIMIT


def test_a_revoked_key_is_refused_by_every_worker_within_a_second(gateway, world):
    server = gateway()
    primed = fire(server, world.raw_key, 80, tag="prime")
    assert statuses(primed) == {200: 80}
    assert len(server.requests_by_worker()) > 1

    gateway_key_revoke(key=world.key)
    time.sleep(SWITCH_DELAY)
    after = fire(server, world.raw_key, 40, tag="after")

    assert statuses(after) == {401: 40}
    for response in after:
        assert_openai_error(response, code="invalid_api_key")
    assert len(world.fake.requests) == 80


def test_a_lowered_limit_reaches_every_worker_within_a_second(gateway, world):
    gateway_key_update(key=world.key, rate_limit_rpm=1000)
    server = gateway()
    primed = fire(server, world.raw_key, 40, tag="prime")
    assert statuses(primed) == {200: 40}
    assert len(server.requests_by_worker()) > 1

    # 40 already in the window: a limit of 45 leaves room for exactly 5 more, on all workers together.
    gateway_key_update(key=world.key, rate_limit_rpm=45)
    time.sleep(SWITCH_DELAY)
    after = fire(server, world.raw_key, 40, tag="after")

    assert statuses(after) == {200: 5, 429: 35}


def scrape(server: GunicornGateway) -> dict[str, float]:
    """Every sample of /metrics summed by sample name."""
    text = httpx.get(f"{server.url}/metrics", timeout=10).text
    totals = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            totals[sample.name] += sample.value
    return totals


def test_metrics_across_four_workers_count_each_request_exactly_once(gateway, world):
    server = gateway()
    count = 90

    responses = fire(server, world.raw_key, count, tag="metrics", stream_every=3)

    assert statuses(responses) == {200: count}
    by_worker = server.requests_by_worker()
    assert len(by_worker) > 1
    # A stream is counted when its server side ends, a moment after the client read [DONE].
    wait_for_records(count, timeout=30)
    for _ in range(3):  # whichever worker answers the scrape merges every worker's counts
        totals = scrape(server)
        assert totals["gateway_requests_total"] == count
        assert totals["gateway_latency_seconds_count"] == count
        assert totals["gateway_cache_misses_total"] == 0  # every request bypassed the cache
    assert sum(server.requests_by_worker().values()) == count


def test_eight_concurrent_requests_against_a_budget_for_three_admit_at_most_four(gateway, world):
    # A request reserves its worst case: 1,000 output tokens at $4 per million plus its prompt,
    # about $0.004; $0.0135 affords three. The vendor holds each answer so that all eight
    # requests reserve before any settles.
    budget = Decimal("0.0135")
    gateway_key_update(key=world.key, monthly_budget_usd=budget)
    for provider in MODELS:
        world.fake.enqueue(provider, *[Behaviour(delay=2.0)] * 8)
    server = gateway()

    responses = fire(server, world.raw_key, 8, tag="budget", max_tokens=1000)

    counts = statuses(responses)
    assert set(counts) <= {200, 429}
    assert 3 <= counts[200] <= 4
    for response in responses:
        if response.status_code == 429:
            assert_openai_error(response, code="budget_exceeded")
            assert int(response.headers["Retry-After"]) >= 1
    records = final_records(server, 8)
    assert len(records) == 8
    charged = sum(to_micro_usd(r.cost_usd) for r in records if r.status == 200)
    # The workers inherit this process's environment, so they use this process's key prefix.
    limiter = RedisLimiter(url=gateway.redis.url, prefix=settings.RATE_LIMIT_KEY_PREFIX)
    with gateway.redis.client() as client:
        spent, reserved = client.hmget(limiter.month_keys(world.key.id, current_month())[0], ["spent", "reserved"])
    assert (int(spent), int(reserved or 0)) == (charged, 0)
    assert 0 < charged <= to_micro_usd(budget)


def test_workers_reuse_their_redis_connections_instead_of_opening_one_per_request(world):
    with PrivateRedis() as private_redis:
        server = GunicornGateway(workers=WORKERS, redis_url=private_redis.url).start()
        try:
            headers = {"Authorization": f"Bearer {world.raw_key}"}
            limits = httpx.Limits(max_keepalive_connections=0)  # a new connection each: any worker may take it
            with httpx.Client(base_url=server.url, headers=headers, timeout=30, limits=limits) as client:

                def ask(index: int) -> int:
                    body = {"model": MODELS["openai"], "messages": [{"role": "user", "content": f"pool {index}"}]}
                    return client.post("/v1/chat/completions", json=body).status_code

                assert {ask(index) for index in range(20)} == {200}  # every worker opens what it keeps
                before = private_redis.connections_received()
                assert {ask(index) for index in range(20, 80)} == {200}
                opened = private_redis.connections_received() - before
        finally:
            server.stop()
    # One request at a time needs one connection per pool per worker, already open after warm-up;
    # a worker that took no warm-up request opens at most a handful.
    assert opened < 20, f"{opened} Redis connections opened for 60 requests"
