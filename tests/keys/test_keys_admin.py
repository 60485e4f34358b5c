import pytest
from django.test import Client

from accounts.models import User
from keys.crypto import decrypt_secret
from keys.hashing import digest_gateway_key
from keys.models import GatewayKey, ProviderKey
from keys.services import gateway_key_create, provider_key_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db

SECRET = "sk-admin-test-key-00AB"


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def test_the_revoke_action_revokes_through_the_service(admin_client, alice, key_events):
    key, raw = gateway_key_create(user=alice, name="ci")

    response = admin_client.post("/admin/keys/gatewaykey/", {"action": "revoke", "_selected_action": [key.pk]})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert ("gateway_key", key.digest) in key_events


def test_editing_a_keys_limits_in_the_admin_drops_cached_copies(admin_client, alice, key_events):
    key, _ = gateway_key_create(user=alice, name="ci")

    response = admin_client.post(f"/admin/keys/gatewaykey/{key.pk}/change/",
                                 {"name": "ci", "rate_limit_rpm": "5", "monthly_budget_usd": "10"})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.rate_limit_rpm == 5 and str(key.monthly_budget_usd) == "10.0000"
    assert ("gateway_key", key.digest) in key_events


def test_gateway_keys_cannot_be_added_or_deleted_in_the_admin(admin_client, alice):
    key, _ = gateway_key_create(user=alice, name="ci")

    assert admin_client.get("/admin/keys/gatewaykey/add/").status_code == 403
    assert admin_client.post(f"/admin/keys/gatewaykey/{key.pk}/delete/", {"post": "yes"}).status_code == 403
    assert GatewayKey.objects.filter(pk=key.pk).exists()


def test_pasting_a_full_gateway_key_into_search_finds_that_key(admin_client, alice):
    _, raw = gateway_key_create(user=alice, name="wanted")
    gateway_key_create(user=alice, name="other")

    page = admin_client.get("/admin/keys/gatewaykey/", {"q": raw}).content.decode()

    assert "wanted" in page and "other" not in page
    assert digest_gateway_key(raw) not in page


def test_adding_a_provider_key_in_the_admin_encrypts_it(admin_client, alice, encryption_key, key_events):
    response = admin_client.post("/admin/keys/providerkey/add/",
                                 {"user": alice.pk, "provider": "anthropic", "label": "ops", "key": SECRET})

    assert response.status_code == 302
    row = ProviderKey.objects.get()
    assert row.user == alice and row.label == "ops" and row.last4 == "00AB"
    assert decrypt_secret(row.encrypted_key) == SECRET
    assert ("user", alice.pk) in key_events


def test_the_admin_refuses_a_malformed_provider_key(admin_client, alice):
    response = admin_client.post("/admin/keys/providerkey/add/",
                                 {"user": alice.pk, "provider": "openai", "key": "has space 123"})

    assert response.status_code == 200
    assert not ProviderKey.objects.exists()


def test_deleting_a_provider_key_in_the_admin_goes_through_the_service(admin_client, alice, encryption_key,
                                                                        key_events):
    key = provider_key_create(user=alice, provider="openai", key=SECRET)
    key_events.clear()

    response = admin_client.post(f"/admin/keys/providerkey/{key.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ProviderKey.objects.exists()
    assert ("user", alice.pk) in key_events


def test_deactivating_a_user_in_the_admin_drops_their_cached_keys(admin_client, alice, key_events):
    key, _ = gateway_key_create(user=alice, name="ci")

    admin_client.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [alice.pk]})

    alice.refresh_from_db()
    assert not alice.is_active
    assert ("gateway_key", key.digest) in key_events and ("user", alice.pk) in key_events


def test_the_user_admin_stores_emails_lower_cased_and_refuses_duplicates(admin_client, alice):
    password = "plum-tractor-velvet-91"
    created = admin_client.post("/admin/accounts/user/add/",
                                {"email": "Erin@Example.com", "password1": password, "password2": password})
    duplicate = admin_client.post("/admin/accounts/user/add/",
                                  {"email": "ALICE@example.com", "password1": password, "password2": password})

    assert created.status_code == 302
    assert User.objects.filter(email="erin@example.com").exists()
    assert duplicate.status_code == 200
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
