from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command

from gateway import catalog
from gateway.models import ClassifierConfig, ComplexityRule, LLMModel, ModelFallback, Provider, RoutingWeights
from gateway.registry import DEFAULT_MIN_QUALITY, VERSION_KEY, load_snapshot

BY_ID = {m.model_id: m for m in catalog.MODELS}


def test_each_provider_has_four_to_six_models():
    counts = Counter(m.provider for m in catalog.MODELS)

    assert set(counts) == {"openai", "anthropic", "google"}
    assert all(4 <= n <= 6 for n in counts.values())
    assert len(BY_ID) == len(catalog.MODELS)


def test_scores_prices_and_limits_are_in_range():
    for m in catalog.MODELS:
        assert 0 <= m.quality <= 100 and 0 <= m.speed <= 100, m.model_id
        assert Decimal(0) < m.input_price < m.output_price, m.model_id
        assert m.cached_input_price is None or m.cached_input_price < m.input_price, m.model_id
        assert m.max_output_tokens < m.context_window, m.model_id


@pytest.mark.parametrize("level, min_quality", sorted(DEFAULT_MIN_QUALITY.items()))
def test_every_complexity_level_can_be_served_by_at_least_two_providers(level, min_quality):
    providers = {m.provider for m in catalog.MODELS if m.quality >= min_quality}

    assert len(providers) >= 2


def test_cheaper_models_are_faster_than_the_top_models():
    top = [m for m in catalog.MODELS if m.quality >= 90]
    small = [m for m in catalog.MODELS if m.quality < 75]

    assert max(m.speed for m in top) < min(m.speed for m in small)


def test_each_model_falls_back_first_to_a_similar_model_of_another_provider():
    for m in catalog.MODELS:
        assert m.fallbacks, m.model_id
        first = BY_ID[m.fallbacks[0]]
        assert first.provider != m.provider, m.model_id
        assert abs(first.quality - m.quality) <= 10, m.model_id
        assert m.model_id not in m.fallbacks and len(set(m.fallbacks)) == len(m.fallbacks)


@pytest.mark.django_db
def test_loading_the_catalog_creates_the_registry_and_a_usable_snapshot():
    version = cache.get(VERSION_KEY, 0)

    call_command("load_catalog")

    assert set(Provider.objects.values_list("slug", flat=True)) == {"openai", "anthropic", "google"}
    assert LLMModel.objects.count() == len(catalog.MODELS)
    assert ModelFallback.objects.count() == sum(len(m.fallbacks) for m in catalog.MODELS)
    assert dict(ComplexityRule.objects.values_list("complexity", "min_quality")) == DEFAULT_MIN_QUALITY
    weights = RoutingWeights.objects.get()
    assert (weights.cost, weights.quality, weights.speed) == (Decimal("0.4"), Decimal("0.35"), Decimal("0.25"))
    assert ClassifierConfig.objects.count() == 1
    assert cache.get(VERSION_KEY, 0) > version
    snapshot = load_snapshot()
    assert set(snapshot.models) == set(BY_ID)
    assert snapshot.models["gpt-6.2-sol"].fallbacks == BY_ID["gpt-6.2-sol"].fallbacks
    assert snapshot.models["claude-haiku-5-5"].input_price == Decimal("0.10")


@pytest.mark.django_db
def test_loading_the_catalog_twice_changes_nothing():
    call_command("load_catalog")
    counts = (LLMModel.objects.count(), ModelFallback.objects.count(), ComplexityRule.objects.count())

    call_command("load_catalog")

    assert (LLMModel.objects.count(), ModelFallback.objects.count(), ComplexityRule.objects.count()) == counts
    assert RoutingWeights.objects.count() == 1 and Provider.objects.count() == 3


@pytest.mark.django_db
def test_reloading_restores_catalog_prices_but_keeps_operator_edits():
    call_command("load_catalog")
    LLMModel.objects.filter(model_id="gpt-6-luna").update(
        input_price_per_mtok=Decimal("9"), quality_score=50, enabled=False
    )
    ComplexityRule.objects.filter(complexity="expert").update(min_quality=85)
    RoutingWeights.objects.update(cost=Decimal("0.5"), quality=Decimal("0.3"), speed=Decimal("0.2"))
    ModelFallback.objects.filter(model__model_id="gpt-6-luna").delete()

    call_command("load_catalog")

    luna = LLMModel.objects.get(model_id="gpt-6-luna")
    assert luna.input_price_per_mtok == Decimal("0.10")
    assert luna.quality_score == 50 and luna.enabled is False
    assert ComplexityRule.objects.get(complexity="expert").min_quality == 85
    assert RoutingWeights.objects.get().cost == Decimal("0.5")
    assert not ModelFallback.objects.filter(model=luna).exists()


@pytest.mark.django_db
def test_keep_existing_leaves_prices_alone():
    call_command("load_catalog")
    LLMModel.objects.filter(model_id="gpt-6-luna").update(input_price_per_mtok=Decimal("9"))

    call_command("load_catalog", "--keep-existing")

    assert LLMModel.objects.get(model_id="gpt-6-luna").input_price_per_mtok == Decimal("9")


@pytest.mark.django_db
def test_loading_adds_missing_models_with_their_fallbacks():
    call_command("load_catalog")
    LLMModel.objects.filter(model_id="claude-haiku-5-5").delete()

    call_command("load_catalog")

    haiku = LLMModel.objects.get(model_id="claude-haiku-5-5")
    assert [link.fallback.model_id for link in haiku.fallback_links.all()] == list(BY_ID["claude-haiku-5-5"].fallbacks)
