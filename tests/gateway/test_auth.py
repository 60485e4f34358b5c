"""Gateway-key authentication of /v1: cached in memory, refused at once when revoked."""
import pytest
from asgiref.sync import sync_to_async

from gateway import auth
from gateway.errors import AuthenticationError
from keys.services import gateway_key_create, gateway_key_revoke, gateway_key_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def empty_cache():
    auth.forget_key()
    yield
    auth.forget_key()


async def _authenticate(raw):
    return await auth.authenticate(f"Bearer {raw}")


@pytest.fixture
def alice_key(alice):
    key, raw = gateway_key_create(user=alice, name="app")
    return key, raw


async def test_a_valid_key_resolves_to_its_owner_with_the_default_limits(alice_key, settings):
    key, raw = alice_key
    principal = await _authenticate(raw)
    assert principal.key_id == key.id
    assert principal.user_id == key.user_id
    assert principal.rate_limit_requests == settings.RATE_LIMIT_REQUESTS
    assert principal.rate_limit_window == settings.RATE_LIMIT_WINDOW


async def test_a_revoked_key_is_refused_at_once_even_while_cached(alice_key):
    key, raw = alice_key
    await _authenticate(raw)
    await sync_to_async(gateway_key_revoke)(key=key)
    with pytest.raises(AuthenticationError):
        await _authenticate(raw)


async def test_a_changed_limit_applies_to_the_next_request(alice_key):
    key, raw = alice_key
    await _authenticate(raw)
    await sync_to_async(gateway_key_update)(key=key, rate_limit_rpm=7)
    assert (await _authenticate(raw)).rate_limit_requests == 7


async def test_a_deactivated_users_key_is_refused(alice_key, alice):
    _, raw = alice_key
    alice.is_active = False
    await sync_to_async(alice.save)()
    with pytest.raises(AuthenticationError):
        await _authenticate(raw)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic abc", "gw-abc", "Bearer gw-unknown",
     "Bearer ' OR 1=1 --", "Bearer gw-\"; DROP TABLE keys_gatewaykey; --", "Bearer " + "x" * 5000],
)
async def test_every_bad_key_gets_the_same_answer(header, db):
    with pytest.raises(AuthenticationError) as caught:
        await auth.authenticate(header)
    assert caught.value.to_body() == {
        "error": {"message": auth.INVALID_KEY_MESSAGE, "type": "authentication_error", "param": None,
                  "code": "invalid_api_key"}
    }
