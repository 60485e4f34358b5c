"""GET/PUT/PATCH /api/routing/preferences, and loading preferences for the router."""
from decimal import Decimal

import pytest
from django.core.management import call_command

from gateway.preferences import Preferences, load_preferences
from gateway.registry import registry_changed

pytestmark = pytest.mark.django_db
URL = "/api/routing/preferences"


@pytest.fixture(autouse=True)
def catalog(db):
    call_command("load_catalog")
    registry_changed()
    yield
    registry_changed()


def test_preferences_need_a_login(anon_client):
    assert anon_client.get(URL).status_code == 401
    assert anon_client.put(URL, {}, format="json").status_code == 401


def test_without_preferences_the_defaults_and_operator_weights_are_shown(alice_client):
    body = alice_client.get(URL).json()
    assert body["allowed_providers"] == [] and body["blocked_models"] == []
    assert body["cost_weight"] is None and body["max_price_per_mtok"] is None
    assert body["effective_weights"] == {"cost": 0.4, "quality": 0.35, "speed": 0.25}


def test_put_stores_every_field_and_get_reads_them_back(alice, alice_client):
    payload = {
        "allowed_providers": ["openai", "anthropic"], "blocked_providers": ["google"],
        "allowed_models": [], "blocked_models": ["gpt-6.2-astra"],
        "cost_weight": "0.2", "quality_weight": "0.6", "speed_weight": "0.2", "max_price_per_mtok": "20",
    }
    assert alice_client.put(URL, payload, format="json").status_code == 200
    body = alice_client.get(URL).json()
    assert body["allowed_providers"] == ["openai", "anthropic"]
    assert body["blocked_models"] == ["gpt-6.2-astra"]
    assert Decimal(body["quality_weight"]) == Decimal("0.6")
    assert body["effective_weights"] == {"cost": 0.2, "quality": 0.6, "speed": 0.2}
    assert load_preferences(alice.id) == Preferences(
        allowed_providers=frozenset({"openai", "anthropic"}), blocked_providers=frozenset({"google"}),
        blocked_models=frozenset({"gpt-6.2-astra"}), cost_weight=0.2, quality_weight=0.6, speed_weight=0.2,
        max_price_per_mtok=Decimal("20"),
    )


def test_put_resets_the_fields_it_leaves_out(alice_client):
    alice_client.put(URL, {"blocked_providers": ["google"], "cost_weight": "0.5"}, format="json")
    alice_client.put(URL, {"allowed_models": ["claude-haiku-5-5"]}, format="json")
    body = alice_client.get(URL).json()
    assert body["blocked_providers"] == [] and body["cost_weight"] is None
    assert body["allowed_models"] == ["claude-haiku-5-5"]


def test_patch_changes_only_the_given_fields(alice_client):
    alice_client.put(URL, {"blocked_providers": ["google"]}, format="json")
    response = alice_client.patch(URL, {"cost_weight": "0"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["blocked_providers"] == ["google"]
    assert Decimal(body["cost_weight"]) == 0
    assert body["effective_weights"]["cost"] == 0.0
    assert body["effective_weights"]["quality"] == pytest.approx(0.35 / 0.6)


@pytest.mark.parametrize(("payload", "field"), [
    ({"allowed_providers": ["mistral"]}, "allowed_providers"),
    ({"blocked_models": ["gpt-unknown"]}, "blocked_models"),
    ({"cost_weight": "1.5"}, "cost_weight"),
    ({"speed_weight": "-0.1"}, "speed_weight"),
    ({"cost_weight": "0.5", "quality_weight": "0.5", "speed_weight": "0.5"}, "non_field_errors"),
    ({"allowed_providers": ["openai"], "blocked_providers": ["openai"]}, "blocked_providers"),
    ({"max_price_per_mtok": "-1"}, "max_price_per_mtok"),
    ({"allowed_models": "gpt-6-luna"}, "allowed_models"),
])
def test_invalid_preferences_are_a_400_naming_the_field(alice_client, payload, field):
    response = alice_client.put(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_patch_that_contradicts_the_stored_preferences_is_refused(alice_client):
    alice_client.put(URL, {"allowed_models": ["gpt-6-luna"]}, format="json")
    response = alice_client.patch(URL, {"blocked_models": ["gpt-6-luna"]}, format="json")
    assert response.status_code == 400
    assert "blocked_models" in response.json()


def test_two_weights_need_not_sum_to_one(alice_client):
    response = alice_client.put(URL, {"cost_weight": "0.9", "quality_weight": "0.9"}, format="json")
    assert response.status_code == 200


def test_a_user_sees_and_changes_only_their_own_preferences(alice_client, bob_client):
    alice_client.put(URL, {"blocked_providers": ["google"]}, format="json")
    assert bob_client.get(URL).json()["blocked_providers"] == []
    bob_client.put(URL, {"blocked_providers": ["openai"]}, format="json")
    assert alice_client.get(URL).json()["blocked_providers"] == ["google"]


def test_load_preferences_is_none_without_a_row(alice):
    assert load_preferences(alice.id) is None
