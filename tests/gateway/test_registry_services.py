from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command

from gateway import services
from gateway.models import ClassifierConfig, ComplexityRule, LLMModel, RoutingWeights
from gateway.registry import VERSION_KEY, load_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    call_command("load_catalog")
    return {m.model_id: m for m in LLMModel.objects.all()}


@pytest.fixture
def version_bumps():
    start = cache.get(VERSION_KEY, 0)
    return lambda: cache.get(VERSION_KEY, 0) - start


def test_disabling_models_removes_them_from_the_snapshot(registry, version_bumps):
    count = services.llm_models_set_enabled(models=[registry["gpt-6-luna"], registry["gemini-4-neon"]], enabled=False)

    assert count == 2
    assert version_bumps() > 0
    snapshot = load_snapshot()
    assert "gpt-6-luna" not in snapshot.models and "gemini-4-neon" not in snapshot.models
    assert "gpt-6-luna" not in snapshot.models["claude-haiku-5-5"].fallbacks


def test_enabling_one_model(registry, version_bumps):
    LLMModel.objects.filter(model_id="gpt-6-luna").update(enabled=False)

    model = services.llm_model_set_enabled(model=registry["gpt-6-luna"], enabled=True)

    assert model.enabled and LLMModel.objects.get(model_id="gpt-6-luna").enabled
    assert version_bumps() > 0


def test_setting_prices(registry, version_bumps):
    services.llm_model_set_prices(model=registry["gpt-6-luna"], input_price=Decimal("0.2"),
                                  output_price=Decimal("0.9"), cached_input_price=None)

    info = load_snapshot().models["gpt-6-luna"]
    assert (info.input_price, info.output_price, info.cached_input_price) == (Decimal("0.2"), Decimal("0.9"), None)
    assert version_bumps() > 0


def test_fallbacks_are_replaced_in_order_without_self_or_repeats(registry, version_bumps):
    model = registry["gpt-6.2-sol"]
    wanted = [registry["gemini-4-neon"], model, registry["claude-sonnet-5-5"], registry["gemini-4-neon"]]

    services.model_fallbacks_set(model=model, fallbacks=wanted)

    assert load_snapshot().models["gpt-6.2-sol"].fallbacks == ("gemini-4-neon", "claude-sonnet-5-5")
    assert version_bumps() > 0


def test_routing_weights_must_sum_to_one(registry, version_bumps):
    with pytest.raises(ValidationError):
        services.routing_weights_update(cost=Decimal("0.5"), quality=Decimal("0.5"), speed=Decimal("0.5"))
    with pytest.raises(ValidationError):
        services.routing_weights_update(cost=Decimal("1.2"), quality=Decimal("-0.2"), speed=Decimal("0"))

    assert version_bumps() == 0
    assert RoutingWeights.objects.get().cost == Decimal("0.4")


def test_routing_weights_update(registry, version_bumps):
    services.routing_weights_update(cost=Decimal("0.6"), quality=Decimal("0.3"), speed=Decimal("0.1"))

    weights = load_snapshot().weights
    assert (weights.cost, weights.quality, weights.speed) == (0.6, 0.3, 0.1)
    assert version_bumps() > 0


def test_complexity_rule_set(registry, version_bumps):
    services.complexity_rule_set(complexity="complex", min_quality=85)

    assert load_snapshot().min_quality["complex"] == 85
    assert ComplexityRule.objects.filter(complexity="complex").count() == 1
    assert version_bumps() > 0
    with pytest.raises(ValidationError):
        services.complexity_rule_set(complexity="complex", min_quality=101)


def test_classifier_config_update_validates_its_json(registry, version_bumps):
    services.classifier_config_update(thresholds={"long_prompt_tokens": 3000}, keywords={"creative": ["sonnet"]})

    snapshot = load_snapshot()
    assert snapshot.classifier_thresholds == {"long_prompt_tokens": 3000}
    assert snapshot.classifier_keywords == {"creative": ["sonnet"]}
    assert version_bumps() > 0
    for bad in ([1, 2], {"x": "high"}, {"x": True}):
        with pytest.raises(ValidationError):
            services.classifier_config_update(thresholds=bad)
    for bad in ({"creative": "poem"}, {"creative": [1]}, {"creative": [""]}, ["poem"]):
        with pytest.raises(ValidationError):
            services.classifier_config_update(keywords=bad)
    assert ClassifierConfig.objects.get().keywords == {"creative": ["sonnet"]}
