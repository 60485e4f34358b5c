import pytest
from django.core.cache import cache

from keys.crypto import decrypt_secret
from keys.models import ProviderKey
from keys.services import provider_key_create

URL = "/api/keys/providers"
SECRET = "sk-test-0123456789abcdefWXYZ"

pytestmark = pytest.mark.django_db


def test_storing_a_provider_key_answers_masked_and_encrypts_it(alice, alice_client, encryption_key):
    response = alice_client.post(URL, {"provider": "openai", "key": SECRET, "label": "work"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "provider", "label", "last4", "created_at"}
    assert body["provider"] == "openai" and body["label"] == "work" and body["last4"] == "WXYZ"
    assert SECRET not in response.content.decode()
    row = ProviderKey.objects.get(pk=body["id"])
    assert row.user == alice
    assert SECRET not in row.encrypted_key
    assert decrypt_secret(row.encrypted_key) == SECRET


def test_a_pasted_key_loses_surrounding_whitespace(alice_client, encryption_key):
    response = alice_client.post(URL, {"provider": "anthropic", "key": f"  {SECRET}\n"}, format="json")

    assert response.status_code == 201
    assert decrypt_secret(ProviderKey.objects.get().encrypted_key) == SECRET


def test_listing_provider_keys_shows_them_masked(alice_client, encryption_key):
    alice_client.post(URL, {"provider": "google", "key": SECRET}, format="json")

    response = alice_client.get(URL)

    assert response.status_code == 200
    assert [set(item) for item in response.json()] == [{"id", "provider", "label", "last4", "created_at"}]
    assert SECRET not in response.content.decode()


def test_owner_fields_in_the_body_are_ignored(alice, bob, alice_client):
    response = alice_client.post(
        URL, {"provider": "openai", "key": SECRET, "user": bob.id, "encrypted_key": "x", "last4": "0000"},
        format="json",
    )

    assert response.status_code == 201
    row = ProviderKey.objects.get()
    assert row.user == alice and row.last4 == "WXYZ" and row.encrypted_key != "x"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"provider": "openai"},
        {"key": SECRET},
        {"provider": "mistral", "key": SECRET},
        {"provider": ["openai"], "key": SECRET},
        {"provider": "openai", "key": ""},
        {"provider": "openai", "key": "   "},
        {"provider": "openai", "key": "short"},
        {"provider": "openai", "key": "sk-with space-inside-123"},
        {"provider": "openai", "key": "sk-with\ttab-inside-1234"},
        {"provider": "openai", "key": "sk-with\u0007bell-inside-1234"},
        {"provider": "openai", "key": "sk-zero\u200bwidth-inside-1234"},
        {"provider": "openai", "key": "sk-\u00fcnicode-inside-1234"},
        {"provider": "openai", "key": "k" * 513},
        {"provider": "openai", "key": {"value": SECRET}},
        {"provider": "openai", "key": None},
        {"provider": "openai", "key": SECRET, "label": "l" * 101},
        {"provider": "openai", "key": SECRET, "label": ["work"]},
    ],
)
def test_storing_a_provider_key_answers_400_on_bad_input(alice_client, body):
    response = alice_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert isinstance(response.json(), dict) and response.json()
    assert ProviderKey.objects.count() == 0


@pytest.mark.parametrize("raw", ["{", "[]", "true", '{"provider": "openai", "key": "\\ud800\\ud800\\ud800abcdefgh"}'])
def test_storing_a_provider_key_answers_400_on_malformed_json(alice_client, raw):
    response = alice_client.post(URL, raw, content_type="application/json")

    assert response.status_code == 400


def test_a_validation_error_never_echoes_the_key(alice_client):
    bad = "sk-has a-space-CANARY-7731"

    response = alice_client.post(URL, {"provider": "openai", "key": bad}, format="json")

    assert response.status_code == 400
    assert "CANARY" not in response.content.decode()


def test_deleting_a_provider_key(alice, alice_client, encryption_key, key_events):
    key = provider_key_create(user=alice, provider="openai", key=SECRET)
    cache.set(f"provkeys:{alice.id}", "cached secrets")

    response = alice_client.delete(f"{URL}/{key.id}")

    assert response.status_code == 204
    assert not ProviderKey.objects.filter(pk=key.id).exists()
    assert cache.get(f"provkeys:{alice.id}") is None
    assert ("user", alice.id) in key_events
    assert alice_client.delete(f"{URL}/{key.id}").status_code == 404


def test_storing_a_provider_key_drops_the_users_cached_secrets(alice, alice_client, encryption_key, key_events):
    alice_client.post(URL, {"provider": "openai", "key": SECRET}, format="json")

    assert ("user", alice.id) in key_events


def test_another_users_provider_key_is_a_404_and_is_kept(alice, bob_client, encryption_key):
    key = provider_key_create(user=alice, provider="openai", key=SECRET)

    assert bob_client.delete(f"{URL}/{key.id}").status_code == 404
    assert bob_client.get(URL).json() == []
    assert ProviderKey.objects.filter(pk=key.id).exists()


def test_provider_key_lists_hold_only_the_callers_keys(alice, bob, alice_client, bob_client, encryption_key):
    provider_key_create(user=alice, provider="openai", key=SECRET)
    provider_key_create(user=bob, provider="google", key=SECRET)

    assert [k["provider"] for k in alice_client.get(URL).json()] == ["openai"]
    assert [k["provider"] for k in bob_client.get(URL).json()] == ["google"]


def test_the_provider_keys_api_needs_authentication(anon_client):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.post(URL, {"provider": "openai", "key": SECRET}, format="json").status_code == 401
    assert anon_client.delete(f"{URL}/1").status_code == 401
