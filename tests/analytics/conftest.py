import pytest
from django.test import Client

from tests.conftest import jwt_client
from tests.factories import make_user


@pytest.fixture
def staff(db):
    return make_user("staff@example.com", is_staff=True)


@pytest.fixture
def staff_client(staff):
    return jwt_client(staff)


@pytest.fixture
def alice_browser(alice):
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_browser(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def staff_browser(staff):
    client = Client()
    client.force_login(staff)
    return client
