import pytest
from cryptography.fernet import Fernet

from keys.crypto import _fernet_for


def new_fernet_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def encryption_key(settings):
    """A fresh single ENCRYPTION_KEY for the test."""
    key = new_fernet_key()
    settings.ENCRYPTION_KEY = key
    yield key
    _fernet_for.cache_clear()


@pytest.fixture
def key_events():
    """Every keys.events announcement made during the test, as (kind, value) pairs."""
    from keys import events

    seen = []

    def record(kind, value):
        seen.append((kind, value))

    events.subscribe(record)
    yield seen
    events.unsubscribe(record)
