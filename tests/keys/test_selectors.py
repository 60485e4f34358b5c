import pytest

from keys import selectors
from keys.hashing import digest_gateway_key
from keys.services import gateway_key_create, gateway_key_revoke, provider_key_create

pytestmark = pytest.mark.django_db


def test_a_digest_finds_its_active_key_with_the_user_loaded(alice, django_assert_num_queries):
    key, raw = gateway_key_create(user=alice, name="ci", rate_limit_rpm=7)

    with django_assert_num_queries(1):
        found = selectors.gateway_key_for_digest(digest_gateway_key(raw))
        assert found.user.email == "alice@example.com"

    assert found.pk == key.pk and found.rate_limit_rpm == 7


def test_a_revoked_or_unknown_key_is_not_found(alice):
    key, raw = gateway_key_create(user=alice, name="ci")
    gateway_key_revoke(key=key)

    assert selectors.gateway_key_for_digest(digest_gateway_key(raw)) is None
    assert selectors.gateway_key_for_digest(digest_gateway_key("gw-unknown")) is None


def test_a_deactivated_users_key_is_not_found(alice):
    _, raw = gateway_key_create(user=alice, name="ci")
    alice.is_active = False
    alice.save()

    assert selectors.gateway_key_for_digest(digest_gateway_key(raw)) is None


def test_provider_secrets_hold_the_newest_key_per_provider_of_that_user_only(alice, bob, encryption_key):
    provider_key_create(user=alice, provider="openai", key="sk-openai-older-0001")
    provider_key_create(user=alice, provider="openai", key="sk-openai-newer-0002")
    provider_key_create(user=alice, provider="google", key="AIza-google-key-0003")
    provider_key_create(user=bob, provider="anthropic", key="sk-ant-bobs-key-0004")

    assert selectors.provider_secrets_for_user(alice.id) == {
        "openai": "sk-openai-newer-0002",
        "google": "AIza-google-key-0003",
    }
    assert selectors.provider_secrets_for_user(bob.id) == {"anthropic": "sk-ant-bobs-key-0004"}
    assert selectors.providers_with_keys(alice.id) == {"openai", "google"}


def test_a_user_without_provider_keys_has_no_secrets(alice):
    assert selectors.provider_secrets_for_user(alice.id) == {}
    assert selectors.providers_with_keys(alice.id) == set()
