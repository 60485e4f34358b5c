"""POST /api/routing/preview: the routing decision for the caller's keys and preferences."""
import pytest
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

from gateway.models import RoutingPreference
from gateway.registry import get_snapshot_sync, registry_changed
from keys.services import provider_key_create
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/api/routing/preview"
SIMPLE = {"model": "auto", "messages": [{"role": "user", "content": "who wrote the odyssey"}]}


@pytest.fixture(autouse=True)
def catalog(db):
    call_command("load_catalog")
    registry_changed()
    yield
    registry_changed()


def give_keys(user, *providers):
    for provider in providers:
        provider_key_create(user=user, provider=provider, key=f"sk-test-{provider}-0123456789abcdef")


def test_the_preview_needs_a_login(anon_client):
    assert anon_client.post(URL, SIMPLE, format="json").status_code == 401


def test_the_preview_answers_the_whole_decision(alice, alice_client):
    give_keys(alice, "openai", "anthropic", "google")
    response = alice_client.post(URL, SIMPLE, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["complexity"] == "simple"
    assert body["features"]["estimated_prompt_tokens"] > 0
    assert body["classification_reasons"][0].startswith("score")
    assert body["chosen"]["model_id"] == body["candidates"][0]["model_id"] == body["attempt_order"][0]
    assert [f["model_id"] for f in body["fallbacks"]] == body["attempt_order"][1:]
    assert body["fallbacks"][0]["provider"] != body["chosen"]["provider"]
    first = body["candidates"][0]
    assert set(first) == {"model_id", "provider", "cost_score", "quality_score", "speed_score", "total", "estimated_cost_usd"}
    assert body["baseline"]["model_id"] == "claude-fable-5-1"
    assert float(body["baseline_cost_usd"]) > float(body["estimated_cost_usd"])
    assert body["weights"] == {"cost": 0.4, "quality": 0.35, "speed": 0.25}


def test_only_providers_the_caller_holds_a_key_for_are_used(alice, alice_client, bob):
    give_keys(alice, "anthropic")
    give_keys(bob, "openai", "google")
    body = alice_client.post(URL, SIMPLE, format="json").json()
    assert {m["provider"] for m in [body["chosen"], *body["fallbacks"]]} == {"anthropic"}
    assert {"model_id": "gpt-6-luna", "reason": "no openai provider key"} in body["excluded"]


def test_without_any_provider_key_the_preview_says_to_add_one(alice_client):
    response = alice_client.post(URL, SIMPLE, format="json")
    assert response.status_code == 400
    assert "provider key" in response.json()["detail"]


def test_the_callers_preferences_apply_and_no_one_elses(alice, alice_client, bob, bob_client):
    give_keys(alice, "openai", "anthropic")
    give_keys(bob, "openai", "anthropic")
    RoutingPreference.objects.create(user=alice, blocked_providers=["anthropic"])
    alice_body = alice_client.post(URL, SIMPLE, format="json").json()
    bob_body = bob_client.post(URL, SIMPLE, format="json").json()
    assert {m["provider"] for m in [alice_body["chosen"], *alice_body["fallbacks"]]} == {"openai"}
    assert "anthropic" in {m["provider"] for m in [bob_body["chosen"], *bob_body["fallbacks"]]}


def test_a_named_model_previews_that_model_and_its_fallbacks(alice, alice_client):
    give_keys(alice, "openai", "anthropic", "google")
    body = alice_client.post(URL, {**SIMPLE, "model": "gpt-6.2-sol"}, format="json").json()
    assert body["attempt_order"][:3] == ["gpt-6.2-sol", "claude-sonnet-5-5", "gemini-4-neon"]
    assert body["candidates"] == []


def test_an_unknown_model_is_a_400_on_the_model_field(alice, alice_client):
    give_keys(alice, "openai")
    response = alice_client.post(URL, {**SIMPLE, "model": "no-such-model"}, format="json")
    assert response.status_code == 400
    assert "model" in response.json()


def test_the_model_field_defaults_to_auto(alice, alice_client):
    give_keys(alice, "openai")
    body = alice_client.post(URL, {"messages": SIMPLE["messages"]}, format="json").json()
    assert body["model_requested"] == "auto"


@pytest.mark.parametrize(("payload", "field"), [
    ({"model": "auto"}, "messages"),
    ({"model": "auto", "messages": []}, "messages"),
    ({**SIMPLE, "temperature": 5}, "temperature"),
    ({**SIMPLE, "tools": "all of them"}, "tools"),
    ([1, 2, 3], "non_field_errors"),
])
def test_a_malformed_body_is_a_400_naming_the_field(alice, alice_client, payload, field):
    give_keys(alice, "openai")
    response = alice_client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_tools_request_is_routed_to_a_model_with_tools(alice, alice_client):
    give_keys(alice, "openai", "anthropic", "google")
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    body = alice_client.post(URL, {**SIMPLE, "tools": tools}, format="json").json()
    assert body["features"]["needs_tools"] is True
    assert body["complexity"] in ("moderate", "complex", "expert")


@override_settings(MAX_FALLBACKS=1)
def test_the_attempt_order_is_capped_like_v1(alice, alice_client):
    give_keys(alice, "openai", "anthropic", "google")
    body = alice_client.post(URL, SIMPLE, format="json").json()
    assert len(body["attempt_order"]) == 2


def test_routing_weights_edited_in_the_admin_change_the_choice(alice, alice_client):
    give_keys(alice, "openai", "anthropic", "google")
    operator = Client()
    operator.force_login(make_user("ops@example.com", is_staff=True, is_superuser=True))
    url = "/admin/gateway/routingweights/1/change/"
    assert operator.post(url, {"cost": "1.000", "quality": "0.000", "speed": "0.000"}).status_code == 302
    assert get_snapshot_sync().weights.cost == 1.0
    cheapest = alice_client.post(URL, SIMPLE, format="json").json()["chosen"]["model_id"]
    assert operator.post(url, {"cost": "0.000", "quality": "1.000", "speed": "0.000"}).status_code == 302
    best = alice_client.post(URL, SIMPLE, format="json").json()["chosen"]["model_id"]
    assert cheapest == "claude-haiku-5-5"
    assert best == "claude-fable-5-1"
