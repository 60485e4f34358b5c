import pytest
from django.core.cache import cache

from keys import selectors
from keys.hashing import KEY_PREFIX, digest_gateway_key
from keys.models import GatewayKey
from keys.services import gateway_key_create

URL = "/api/keys/gateway"
LISTED_FIELDS = {
    "id", "name", "prefix", "last4", "created_at", "last_used_at",
    "rate_limit_rpm", "tokens_per_minute", "monthly_budget_usd",
}

pytestmark = pytest.mark.django_db


def test_creating_a_key_shows_the_full_key_once_and_stores_only_its_digest(alice, alice_client):
    response = alice_client.post(URL, {"name": "ci"}, format="json")

    assert response.status_code == 201
    body = response.json()
    raw = body["key"]
    assert set(body) == LISTED_FIELDS | {"key"}
    assert raw.startswith(KEY_PREFIX) and len(raw) >= len(KEY_PREFIX) + 43
    row = GatewayKey.objects.get(pk=body["id"])
    assert row.user == alice
    assert row.digest == digest_gateway_key(raw)
    assert raw.startswith(row.prefix) and raw.endswith(row.last4)
    assert body["prefix"] == row.prefix and body["last4"] == row.last4
    assert all(raw not in str(value) for value in GatewayKey.objects.filter(pk=row.pk).values().get().values())


def test_listing_keys_never_shows_the_key(alice_client):
    raw = alice_client.post(URL, {"name": "ci"}, format="json").json()["key"]

    response = alice_client.get(URL)

    assert response.status_code == 200
    assert [set(item) for item in response.json()] == [LISTED_FIELDS]
    assert raw not in response.content.decode()


def test_a_key_can_carry_its_own_limits(alice_client):
    body = {"name": "batch", "rate_limit_rpm": 120, "tokens_per_minute": 50000, "monthly_budget_usd": "25.50"}

    created = alice_client.post(URL, body, format="json").json()

    listed = alice_client.get(URL).json()[0]
    assert created["rate_limit_rpm"] == listed["rate_limit_rpm"] == 120
    assert listed["tokens_per_minute"] == 50000
    assert listed["monthly_budget_usd"] == "25.5000"


def test_owner_and_identity_fields_in_the_body_are_ignored(alice, bob, alice_client):
    body = {"name": "ci", "user": bob.id, "owner": bob.id, "id": 4242, "digest": "0" * 64, "prefix": "gw-evil",
            "revoked_at": None, "is_staff": True}

    response = alice_client.post(URL, body, format="json")

    assert response.status_code == 201
    row = GatewayKey.objects.get(pk=response.json()["id"])
    assert row.user == alice and row.pk != 4242
    assert row.digest == digest_gateway_key(response.json()["key"]) and row.prefix != "gw-evil"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": ["ci"]},
        {"name": {"x": 1}},
        {"name": None},
        {"name": "x" * 101},
        {"name": "ci", "rate_limit_rpm": "many"},
        {"name": "ci", "rate_limit_rpm": 0},
        {"name": "ci", "rate_limit_rpm": -5},
        {"name": "ci", "rate_limit_rpm": 1.5},
        {"name": "ci", "rate_limit_rpm": 10**30},
        {"name": "ci", "rate_limit_rpm": True},
        {"name": "ci", "tokens_per_minute": [1]},
        {"name": "ci", "monthly_budget_usd": "lots"},
        {"name": "ci", "monthly_budget_usd": -1},
        {"name": "ci", "monthly_budget_usd": "1e30"},
        {"name": "ci", "monthly_budget_usd": "0.00001"},
        {"name": "ci\u0000"},
    ],
)
def test_creating_a_key_answers_400_with_field_errors_on_bad_input(alice_client, body):
    response = alice_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert isinstance(response.json(), dict) and response.json()
    assert GatewayKey.objects.count() == 0


@pytest.mark.parametrize("raw", ["{", "[]", '"name"', "42", "null", '{"name": "\\ud800"}', '{"name": NaN}'])
def test_creating_a_key_answers_400_on_malformed_or_non_object_json(alice_client, raw):
    response = alice_client.post(URL, raw, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


def test_revoking_a_key_stops_it_at_once_and_hides_it(alice, alice_client, key_events):
    created = alice_client.post(URL, {"name": "ci"}, format="json").json()
    digest = digest_gateway_key(created["key"])
    cache.set(f"gwkey:{digest}", "cached principal")

    response = alice_client.delete(f"{URL}/{created['id']}")

    assert response.status_code == 204
    assert GatewayKey.objects.get(pk=created["id"]).revoked_at is not None
    assert selectors.gateway_key_for_digest(digest) is None
    assert alice_client.get(URL).json() == []
    assert cache.get(f"gwkey:{digest}") is None
    assert ("gateway_key", digest) in key_events
    assert alice_client.delete(f"{URL}/{created['id']}").status_code == 404


def test_another_users_key_is_a_404_and_stays_active(alice, bob_client):
    key, raw = gateway_key_create(user=alice, name="alice's")

    assert bob_client.delete(f"{URL}/{key.id}").status_code == 404
    assert bob_client.get(URL).json() == []
    assert selectors.gateway_key_for_digest(digest_gateway_key(raw)) is not None


def test_lists_hold_only_the_callers_keys(alice, bob, alice_client, bob_client):
    gateway_key_create(user=alice, name="a1")
    gateway_key_create(user=alice, name="a2")
    gateway_key_create(user=bob, name="b1")

    assert sorted(k["name"] for k in alice_client.get(URL).json()) == ["a1", "a2"]
    assert [k["name"] for k in bob_client.get(URL).json()] == ["b1"]


@pytest.mark.parametrize("key_id", ["abc", "-1", "0", "99999999999999999999999", "\u0661", "1.0"])
def test_an_impossible_key_id_is_a_404(alice_client, key_id):
    assert alice_client.delete(f"{URL}/{key_id}").status_code == 404


def test_the_keys_api_needs_authentication(anon_client):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.post(URL, {"name": "ci"}, format="json").status_code == 401
    assert anon_client.delete(f"{URL}/1").status_code == 401
