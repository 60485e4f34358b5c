"""The routing engine on snapshots built in code: filters, scores, weights, fallbacks, costs."""
from dataclasses import replace
from decimal import Decimal

import pytest

from gateway.classifier import classify
from gateway.errors import GatewayError
from gateway.preferences import Preferences
from gateway.registry import Weights
from gateway.routing import NoEligibleModelError, estimate_cost, fallbacks_for, route
from tests.gateway.routing_models import ALL_PROVIDERS, chat, make_model, make_snapshot, tiered_snapshot

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def decide(request, level, snapshot=None, providers=ALL_PROVIDERS, preferences=None):
    classification = replace(classify(request), level=level)
    return route(request=request, classification=classification, snapshot=snapshot or tiered_snapshot(),
                 available_providers=providers, preferences=preferences)


def test_a_simple_request_goes_to_a_cheap_small_model():
    decision = decide(chat("hi"), "simple")
    assert decision.chosen.model_id == "small-openai"


def test_the_minimum_quality_of_the_level_filters_candidates():
    decision = decide(chat("prove it"), "expert")
    assert {c.model_id for c in decision.candidates} == {"top-openai", "top-anthropic"}
    assert ("strong-google", "quality 86 < 90 needed for expert") in decision.excluded


def test_a_tools_request_never_goes_to_a_model_without_tools():
    snapshot = make_snapshot(
        make_model("cheap-no-tools", "google", price="0.01", quality=70, tools=False),
        make_model("dear-tools", "openai", price="5", quality=70),
    )
    decision = decide(chat("look this up", tools=TOOLS), "simple", snapshot)
    assert decision.chosen.model_id == "dear-tools"
    assert ("cheap-no-tools", "does not support tools") in decision.excluded
    assert all(m.supports_tools for m in decision.fallbacks)


def test_a_long_prompt_never_goes_to_a_small_context_window():
    snapshot = make_snapshot(
        make_model("cheap-small-window", "anthropic", price="0.01", context_window=8_000),
        make_model("dear-big-window", "openai", price="5"),
    )
    decision = decide(chat("x" * 40_000), "complex", snapshot)
    assert decision.chosen.model_id == "dear-big-window"
    assert decision.excluded[0][0] == "cheap-small-window"
    assert decision.excluded[0][1].startswith("context window 8000 <")


def test_the_requested_output_counts_towards_the_context_window_and_max_output():
    snapshot = make_snapshot(
        make_model("window-6k", "anthropic", price="0.01", context_window=6_000),
        make_model("short-output", "google", price="0.02", max_output_tokens=1000),
        make_model("roomy", "openai", price="5"),
    )
    decision = decide(chat("x" * 4000, max_tokens=5000), "simple", snapshot)
    assert decision.chosen.model_id == "roomy"
    assert {m for m, _ in decision.excluded} == {"window-6k", "short-output"}
    assert decide(chat("x" * 4000, max_tokens=500), "simple", snapshot).chosen.model_id == "window-6k"


def test_a_provider_without_a_user_key_is_never_chosen():
    decision = decide(chat("hi"), "simple", providers=frozenset({"anthropic"}))
    assert decision.chosen.provider == "anthropic"
    assert all(m.provider == "anthropic" for m in (decision.chosen, *decision.fallbacks))
    assert ("small-openai", "no openai provider key") in decision.excluded


def test_no_provider_key_at_all_is_a_client_error_that_says_what_to_do():
    with pytest.raises(NoEligibleModelError) as caught:
        decide(chat("hi"), "simple", providers=frozenset())
    assert isinstance(caught.value, GatewayError)
    assert caught.value.status == 400
    assert caught.value.code == "no_eligible_model"
    assert "provider key" in caught.value.message


def test_when_no_model_reaches_the_minimum_quality_the_best_available_is_used():
    decision = decide(chat("hard"), "expert", providers=frozenset({"google"}))
    assert decision.chosen.model_id == "strong-google"
    assert any("best available" in reason for reason in decision.reasons)


def test_images_and_json_mode_filter_models():
    image = {"model": "auto", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "describe"}, {"type": "image_url", "image_url": {"url": "u"}}]}]}
    snapshot = make_snapshot(
        make_model("blind", "google", price="0.01", vision=False),
        make_model("no-json", "anthropic", price="0.02", json_mode=False),
        make_model("sees", "openai", price="5"),
    )
    assert decide(image, "simple", snapshot).chosen.model_id == "no-json"
    both = dict(image, response_format={"type": "json_object"})
    assert decide(both, "simple", snapshot).chosen.model_id == "sees"


def test_changing_the_weights_changes_the_choice():
    snapshot = make_snapshot(
        make_model("cheap-fast", "openai", price="0.1", quality=70, speed=95),
        make_model("dear-good", "anthropic", price="10", quality=96, speed=30),
    )
    cost_first = decide(chat("hi"), "simple", replace(snapshot, weights=Weights(0.8, 0.1, 0.1)))
    quality_first = decide(chat("hi"), "simple", replace(snapshot, weights=Weights(0.1, 0.8, 0.1)))
    assert cost_first.chosen.model_id == "cheap-fast"
    assert quality_first.chosen.model_id == "dear-good"


def test_user_weight_overrides_take_precedence_over_the_operators():
    snapshot = make_snapshot(
        make_model("cheap-fast", "openai", price="0.1", quality=70, speed=95),
        make_model("dear-good", "anthropic", price="10", quality=96, speed=30),
    )
    prefs = Preferences(cost_weight=0.0, speed_weight=0.0)
    decision = decide(chat("hi"), "simple", snapshot, preferences=prefs)
    assert decision.chosen.model_id == "dear-good"
    assert decision.weights == Weights(0.0, 1.0, 0.0)


def test_partial_weight_overrides_are_rescaled_to_sum_to_one():
    weights = Preferences(cost_weight=0.0).weights_over(Weights(0.4, 0.35, 0.25))
    assert weights.cost == 0
    assert weights.quality == pytest.approx(0.35 / 0.6)
    assert weights.speed == pytest.approx(0.25 / 0.6)


@pytest.mark.parametrize(("prefs", "expected"), [
    (Preferences(blocked_providers=frozenset({"openai"})), "small-google"),
    (Preferences(allowed_providers=frozenset({"anthropic"})), "mid-anthropic"),
    (Preferences(blocked_models=frozenset({"small-openai"})), "small-google"),
    (Preferences(allowed_models=frozenset({"strong-google", "top-openai"})), "strong-google"),
    (Preferences(max_price_per_mtok=Decimal("0.5")), "small-openai"),
])
def test_user_preferences_constrain_the_choice(prefs, expected):
    decision = decide(chat("hi"), "simple", preferences=prefs)
    assert decision.chosen.model_id == expected
    assert all(preferences_allow(prefs, m) for m in decision.fallbacks)


def preferences_allow(prefs, model):
    return (
        model.provider not in prefs.blocked_providers
        and (not prefs.allowed_providers or model.provider in prefs.allowed_providers)
        and model.model_id not in prefs.blocked_models
        and (not prefs.allowed_models or model.model_id in prefs.allowed_models)
        and (prefs.max_price_per_mtok is None or model.output_price <= prefs.max_price_per_mtok)
    )


def test_a_price_ceiling_excludes_unpriced_models():
    snapshot = make_snapshot(make_model("free?", "google", price=None), make_model("priced", "openai", price="0.1"))
    decision = decide(chat("hi"), "simple", snapshot, preferences=Preferences(max_price_per_mtok=Decimal("1")))
    assert decision.chosen.model_id == "priced"
    assert ("free?", "unpriced, and you set a price ceiling") in decision.excluded


def test_fallbacks_try_other_providers_first():
    decision = decide(chat("hi"), "simple")
    assert decision.chosen.provider == "openai"
    providers = [m.provider for m in decision.fallbacks]
    assert providers[0] != "openai"
    assert set(providers[:2]) == {"anthropic", "google"}
    assert len(decision.fallbacks) == len(decision.candidates) - 1


def test_ties_are_broken_by_model_id_and_the_answer_is_deterministic():
    twins = make_snapshot(make_model("b-twin", "openai"), make_model("a-twin", "anthropic"))
    first = decide(chat("hi"), "simple", twins)
    assert first.chosen.model_id == "a-twin"
    assert first == decide(chat("hi"), "simple", twins)


def test_candidate_scores_are_normalised_and_ranked():
    decision = decide(chat("hi"), "simple")
    totals = [c.total for c in decision.candidates]
    assert totals == sorted(totals, reverse=True)
    cheapest = min(decision.candidates, key=lambda c: c.estimated_cost_usd)
    dearest = max(decision.candidates, key=lambda c: c.estimated_cost_usd)
    assert cheapest.cost_score == 1.0 and dearest.cost_score == 0.0
    assert all(0.0 <= c.quality_score <= 1.0 and 0.0 <= c.speed_score <= 1.0 for c in decision.candidates)


def test_the_baseline_is_the_most_expensive_eligible_model():
    assert decide(chat("hi"), "simple").baseline.model_id == "top-anthropic"
    image = {"model": "auto", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "u"}}]}]}
    assert decide(image, "simple").baseline.model_id == "top-openai"


def test_an_unpriced_model_scores_zero_on_cost_and_is_never_the_baseline():
    snapshot = make_snapshot(make_model("unpriced", "google", price=None), make_model("priced", "openai", price="1"))
    decision = decide(chat("hi"), "simple", snapshot)
    by_id = {c.model_id: c for c in decision.candidates}
    assert by_id["unpriced"].cost_score == 0.0
    assert decision.baseline.model_id == "priced"


def test_estimate_cost_uses_the_per_million_prices():
    model = make_model("m", "openai", price="2")
    assert estimate_cost(model, 1_000_000, 500_000) == Decimal("6")
    assert estimate_cost(make_model("u", "openai", price=None), 10, 10) is None


def test_configured_fallbacks_come_first_filtered_by_availability_and_needs():
    snapshot = make_snapshot(
        make_model("named", "openai", fallbacks=("no-tools", "keyless", "good-1", "good-2")),
        make_model("no-tools", "anthropic", tools=False),
        make_model("keyless", "google"),
        make_model("good-1", "anthropic", quality=50),
        make_model("good-2", "openai"),
    )
    chain = fallbacks_for(model=snapshot.models["named"], request=chat("hi", tools=TOOLS), snapshot=snapshot,
                          available_providers=frozenset({"openai", "anthropic"}))
    assert [m.model_id for m in chain] == ["good-1", "good-2"]


def test_without_configured_fallbacks_similar_models_of_other_providers_are_used():
    snapshot = make_snapshot(
        make_model("named", "openai", quality=88),
        make_model("same-provider", "openai", quality=88),
        make_model("weaker", "anthropic", quality=70),
        make_model("similar-anthropic", "anthropic", quality=86),
        make_model("better-google", "google", quality=95),
        make_model("similar-google", "google", quality=89, price="5"),
    )
    chain = fallbacks_for(model=snapshot.models["named"], request=chat("hi"), snapshot=snapshot,
                          available_providers=ALL_PROVIDERS)
    assert [m.model_id for m in chain] == ["similar-google", "similar-anthropic"]


def test_fallbacks_for_a_named_model_can_be_empty():
    snapshot = make_snapshot(make_model("alone", "openai"))
    assert fallbacks_for(model=snapshot.models["alone"], request=chat("hi"), snapshot=snapshot,
                         available_providers=ALL_PROVIDERS) == ()
