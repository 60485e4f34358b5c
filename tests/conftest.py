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
