"""Writes to the model registry and the routing policy.

Every write ends with `announce_registry_change()`, which bumps the registry version
(gateway.registry.registry_changed) at once and again when the transaction commits, so no worker
can rebuild its snapshot from uncommitted rows and then keep it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from gateway import catalog
from gateway.models import (
    ClassifierConfig,
    ComplexityRule,
    LLMModel,
    ModelFallback,
    Provider,
    RoutingWeights,
)
from gateway.registry import DEFAULT_MIN_QUALITY, registry_changed

PRICE_FIELDS = ["input_price_per_mtok", "output_price_per_mtok", "cached_input_price_per_mtok"]


def announce_registry_change() -> None:
    registry_changed()
    transaction.on_commit(registry_changed)


def llm_models_set_enabled(*, models: Iterable[LLMModel], enabled: bool) -> int:
    ids = [m.pk for m in models]
    with transaction.atomic():
        count = LLMModel.objects.filter(pk__in=ids).update(enabled=enabled)
        announce_registry_change()
    return count


def llm_model_set_enabled(*, model: LLMModel, enabled: bool) -> LLMModel:
    llm_models_set_enabled(models=[model], enabled=enabled)
    model.enabled = enabled
    return model


def llm_model_set_prices(
    *, model: LLMModel, input_price: Decimal | None, output_price: Decimal | None, cached_input_price: Decimal | None
) -> LLMModel:
    model.input_price_per_mtok = input_price
    model.output_price_per_mtok = output_price
    model.cached_input_price_per_mtok = cached_input_price
    with transaction.atomic():
        model.save(update_fields=PRICE_FIELDS)
        announce_registry_change()
    return model


def model_fallbacks_set(*, model: LLMModel, fallbacks: list[LLMModel]) -> None:
    """Replace `model`'s fallback list with `fallbacks`, in that order (itself and repeats skipped)."""
    seen = set()
    links = []
    for fallback in fallbacks:
        if fallback.pk == model.pk or fallback.pk in seen:
            continue
        seen.add(fallback.pk)
        links.append(ModelFallback(model=model, fallback=fallback, position=len(links)))
    with transaction.atomic():
        ModelFallback.objects.filter(model=model).delete()
        ModelFallback.objects.bulk_create(links)
        announce_registry_change()


def routing_weights_update(*, cost: Decimal, quality: Decimal, speed: Decimal) -> RoutingWeights:
    """Set the weights; raises ValidationError unless each is ≥ 0 and they sum to 1."""
    weights = RoutingWeights.load()
    weights.cost, weights.quality, weights.speed = cost, quality, speed
    weights.full_clean()
    with transaction.atomic():
        weights.save()
        announce_registry_change()
    return weights


def complexity_rule_set(*, complexity: str, min_quality: int) -> ComplexityRule:
    rule = ComplexityRule.objects.filter(complexity=complexity).first() or ComplexityRule(complexity=complexity)
    rule.min_quality = min_quality
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        announce_registry_change()
    return rule


def validate_classifier_thresholds(value) -> None:
    """Thresholds are a JSON object of numbers: `{"name": 0.5}`."""
    if not isinstance(value, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
    ):
        raise ValidationError('Thresholds must be a JSON object of numbers, e.g. {"long_prompt_tokens": 2000}.')


def validate_classifier_keywords(value) -> None:
    """Keywords are a JSON object of lists of words: `{"creative": ["poem", "story"]}`."""
    if not isinstance(value, dict) or not all(
        isinstance(words, list) and all(isinstance(w, str) and w.strip() for w in words) for words in value.values()
    ):
        raise ValidationError('Keywords must be a JSON object of word lists, e.g. {"creative": ["poem", "story"]}.')


def classifier_config_update(*, thresholds: dict | None = None, keywords: dict | None = None) -> ClassifierConfig:
    config = ClassifierConfig.load()
    if thresholds is not None:
        validate_classifier_thresholds(thresholds)
        config.thresholds = thresholds
    if keywords is not None:
        validate_classifier_keywords(keywords)
        config.keywords = keywords
    with transaction.atomic():
        config.save()
        announce_registry_change()
    return config


@dataclass(frozen=True)
class CatalogLoadResult:
    created: list[str]
    repriced: list[str]
    unchanged: list[str]


def catalog_load(*, keep_existing: bool = False) -> CatalogLoadResult:
    """Write the default catalog (gateway/catalog.py) into the registry; safe to run again.

    Creates missing providers and models (with their default fallbacks), updates the prices of
    existing catalog models unless `keep_existing`, and creates the routing weights, classifier
    settings and complexity rules where they do not exist yet. Operator edits other than prices
    (scores, enabled flags, fallbacks, base URLs) are never overwritten.
    """
    created, repriced, unchanged = [], [], []
    with transaction.atomic():
        providers = {
            slug: Provider.objects.get_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in catalog.PROVIDER_NAMES.items()
        }
        for entry in catalog.MODELS:
            model = LLMModel.objects.filter(model_id=entry.model_id).first()
            if model is None:
                LLMModel.objects.create(provider=providers[entry.provider], **_model_fields(entry))
                created.append(entry.model_id)
            elif not keep_existing and _prices(model) != _catalog_prices(entry):
                model.input_price_per_mtok, model.output_price_per_mtok, model.cached_input_price_per_mtok = (
                    _catalog_prices(entry)
                )
                model.save(update_fields=PRICE_FIELDS)
                repriced.append(entry.model_id)
            else:
                unchanged.append(entry.model_id)
        _create_default_fallbacks(created)
        RoutingWeights.load()
        ClassifierConfig.load()
        for complexity, min_quality in DEFAULT_MIN_QUALITY.items():
            ComplexityRule.objects.get_or_create(complexity=complexity, defaults={"min_quality": min_quality})
        announce_registry_change()
    return CatalogLoadResult(created=created, repriced=repriced, unchanged=unchanged)


def _model_fields(entry: catalog.CatalogModel) -> dict:
    return {
        "model_id": entry.model_id,
        "display_name": entry.display_name,
        "input_price_per_mtok": entry.input_price,
        "output_price_per_mtok": entry.output_price,
        "cached_input_price_per_mtok": entry.cached_input_price,
        "quality_score": entry.quality,
        "speed_score": entry.speed,
        "context_window": entry.context_window,
        "max_output_tokens": entry.max_output_tokens,
        "supports_tools": entry.supports_tools,
        "supports_vision": entry.supports_vision,
        "supports_json_mode": entry.supports_json_mode,
    }


def _prices(model: LLMModel) -> tuple:
    return model.input_price_per_mtok, model.output_price_per_mtok, model.cached_input_price_per_mtok


def _catalog_prices(entry: catalog.CatalogModel) -> tuple:
    return entry.input_price, entry.output_price, entry.cached_input_price


def _create_default_fallbacks(model_ids: list[str]) -> None:
    """Give newly created catalog models their default fallback lists."""
    entries = {e.model_id: e for e in catalog.MODELS}
    wanted = set(model_ids) | {f for mid in model_ids for f in entries[mid].fallbacks}
    by_id = {m.model_id: m for m in LLMModel.objects.filter(model_id__in=wanted)}
    links = [
        ModelFallback(model=by_id[mid], fallback=by_id[fid], position=position)
        for mid in model_ids
        for position, fid in enumerate(f for f in entries[mid].fallbacks if f in by_id)
    ]
    ModelFallback.objects.bulk_create(links, ignore_conflicts=True)
