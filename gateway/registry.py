"""An immutable in-memory snapshot of the registry and routing policy for the request path.

Operators edit rows in the admin; the request path reads this snapshot, never the ORM. Writes
through gateway/services.py bump a version in the shared cache; each worker checks the version
at most every `CHECK_INTERVAL` seconds and rebuilds its snapshot off the event loop.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.core.cache import cache

from gateway.conf import settings
from gateway.shared_cache import call as shared_call

logger = logging.getLogger(__name__)

VERSION_KEY = "registry:version"
CHECK_INTERVAL = 1.0
DEFAULT_MIN_QUALITY = {"simple": 0, "moderate": 65, "complex": 80, "expert": 90}


@dataclass(frozen=True)
class Weights:
    cost: float = 0.40
    quality: float = 0.35
    speed: float = 0.25


@dataclass(frozen=True)
class ModelInfo:
    model_id: str
    provider: str
    display_name: str
    input_price: Decimal | None
    output_price: Decimal | None
    cached_input_price: Decimal | None
    quality: int
    speed: int
    context_window: int
    max_output_tokens: int
    supports_tools: bool
    supports_vision: bool
    supports_json_mode: bool
    fallbacks: tuple[str, ...] = ()
    created: int = 0

    @property
    def is_priced(self) -> bool:
        return self.input_price is not None and self.output_price is not None


@dataclass(frozen=True)
class RegistrySnapshot:
    models: dict[str, ModelInfo] = field(default_factory=dict)
    base_urls: dict[str, str] = field(default_factory=dict)
    weights: Weights = Weights()
    min_quality: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_MIN_QUALITY))
    classifier_thresholds: dict = field(default_factory=dict)
    classifier_keywords: dict = field(default_factory=dict)
    version: int = 0

    def enabled_models(self) -> list[ModelInfo]:
        return list(self.models.values())


def load_snapshot(version: int = 0) -> RegistrySnapshot:
    """Build a snapshot from the database (blocking: call it off the event loop)."""
    from gateway.models import ClassifierConfig, ComplexityRule, LLMModel, Provider, RoutingWeights

    providers = {p.slug: p for p in Provider.objects.all()}
    base_urls = dict(settings.PROVIDER_BASE_URLS)
    base_urls.update({slug: p.effective_base_url for slug, p in providers.items()})
    enabled_providers = {slug for slug, p in providers.items() if p.enabled and _is_callable(p)}
    models = {}
    rows = (
        LLMModel.objects.filter(enabled=True, provider__slug__in=enabled_providers)
        .select_related("provider")
        .prefetch_related("fallback_links__fallback")
    )
    for m in rows:
        models[m.model_id] = ModelInfo(
            model_id=m.model_id,
            provider=m.provider.slug,
            display_name=m.display_name,
            input_price=m.input_price_per_mtok,
            output_price=m.output_price_per_mtok,
            cached_input_price=m.cached_input_price_per_mtok,
            quality=m.quality_score,
            speed=m.speed_score,
            context_window=m.context_window,
            max_output_tokens=m.max_output_tokens,
            supports_tools=m.supports_tools,
            supports_vision=m.supports_vision,
            supports_json_mode=m.supports_json_mode,
            fallbacks=tuple(link.fallback.model_id for link in m.fallback_links.all() if link.fallback.enabled),
        )
    w = RoutingWeights.load()
    config = ClassifierConfig.load()
    min_quality = dict(DEFAULT_MIN_QUALITY)
    min_quality.update({r.complexity: r.min_quality for r in ComplexityRule.objects.all()})
    return RegistrySnapshot(
        models=models,
        base_urls=base_urls,
        weights=Weights(float(w.cost), float(w.quality), float(w.speed)),
        min_quality=min_quality,
        classifier_thresholds=dict(config.thresholds or {}),
        classifier_keywords=dict(config.keywords or {}),
        version=version,
    )


def _is_callable(provider) -> bool:
    """An operator's base URL is checked again here, not only in the admin form: a row saved
    while private addresses were allowed (or written without the form) must not be called once
    they are not."""
    from gateway.urlpolicy import base_url_problem

    if not provider.base_url:
        return True
    problem = base_url_problem(provider.base_url)
    if problem:
        logger.warning("provider %s is skipped: %s", provider.slug, problem)
    return problem is None


class _SnapshotHolder:
    def __init__(self):
        self.snapshot: RegistrySnapshot | None = None
        self.checked_at = 0.0

    async def get(self) -> RegistrySnapshot:
        now = time.monotonic()
        if self.snapshot is not None and now - self.checked_at < CHECK_INTERVAL:
            return self.snapshot
        self.checked_at = now
        version = await shared_call("get", VERSION_KEY, 0)
        if self.snapshot is None or version != self.snapshot.version:
            self.snapshot = await sync_to_async(load_snapshot, thread_sensitive=False)(version)
        return self.snapshot

    def get_sync(self) -> RegistrySnapshot:
        version = cache.get(VERSION_KEY, 0)
        if self.snapshot is None or version != self.snapshot.version:
            self.snapshot = load_snapshot(version)
            self.checked_at = time.monotonic()
        return self.snapshot

    def clear(self):
        self.snapshot = None
        self.checked_at = 0.0


holder = _SnapshotHolder()
get_snapshot = holder.get
get_snapshot_sync = holder.get_sync


def registry_changed() -> None:
    """Tell every worker to rebuild its snapshot (called by services after each write)."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, timeout=None)
    holder.clear()
