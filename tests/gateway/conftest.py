"""Fixtures shared by the cache, rate-limit and budget tests."""
import uuid

import pytest
import redis

from gateway import ratelimit
from gateway.ratelimit_local import LocalLimiter
from gateway.ratelimit_redis import RedisLimiter


class Clock:
    """A clock tests move by hand: `clock.now += 61`."""

    def __init__(self):
        self.now = 5000.0

    def __call__(self):
        return self.now


@pytest.fixture
def redis_url(settings):
    """The Redis the suite runs beside (CI starts one on 127.0.0.1:6379 for both runs)."""
    return settings.REDIS_URL or "redis://127.0.0.1:6379/0"


@pytest.fixture
def clock():
    """An in-process limiter on a hand-moved clock."""
    clock = Clock()
    ratelimit.set_limiter(LocalLimiter(clock=clock))
    yield clock
    ratelimit.set_limiter(None)


@pytest.fixture
def redis_prefix(redis_url):
    """A Redis limiter under a key prefix of this test's own, deleted afterwards."""
    prefix = f"gwtest-{uuid.uuid4().hex[:12]}:"
    ratelimit.set_limiter(RedisLimiter(url=redis_url, prefix=prefix))
    yield prefix
    ratelimit.set_limiter(None)
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()
