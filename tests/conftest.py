"""Shared fixtures: users alice, bob and charlie, and API clients authenticated as them."""
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import make_user


@pytest.fixture
def alice(db):
    return make_user("alice@example.com")


@pytest.fixture
def bob(db):
    return make_user("bob@example.com")


@pytest.fixture
def charlie(db):
    return make_user("charlie@example.com")


def jwt_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def alice_client(alice):
    return jwt_client(alice)


@pytest.fixture
def bob_client(bob):
    return jwt_client(bob)


@pytest.fixture
def anon_client():
    return APIClient()


def pytest_sessionfinish(session, exitstatus):
    """Remove this run's SQLite test database leftovers (WAL files outlive the database)."""
    import os
    from pathlib import Path

    for leftover in Path(__file__).resolve().parents[1].glob(f"data/test-gateway-{os.getpid()}.db*"):
        leftover.unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def fresh_gateway_state():
    """Each test starts with empty in-process caches: ids restart with each test database, so a
    cached answer, key or registry snapshot from an earlier test must not leak into the next."""
    from gateway import auth, registry, user_data
    from gateway.cache import reset_response_cache
    from gateway.ratelimit import set_limiter
    from gateway.semantic_cache import reset_semantic_cache
    from gateway.shared_cache import reset_shared_cache

    def reset():
        auth.forget_key()
        user_data.forget_user()
        registry.holder.clear()
        reset_response_cache()
        reset_semantic_cache()
        set_limiter(None)
        reset_shared_cache()

    reset()
    yield
    reset()
