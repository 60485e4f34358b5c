"""Prometheus collectors of the gateway, and the text /metrics serves.

The request path calls, once per request:

    observe_request(model=, provider=, status=, complexity=, cache=, latency_s=, cost_usd=)
    observe_provider_error(provider=, code=)     # each failed upstream attempt
    observe_cache(hit, semantic=False)           # each cache lookup (not for a bypass)
    observe_fallback(provider=)                  # optional: each model given up on

Label values are bounded: a model must be in the current registry snapshot (else "unknown"),
providers, complexities and cache outcomes come from fixed sets, and at most
`MAX_ERROR_CODES` distinct provider error codes made of words and underscores are kept (the
rest are "other"). Children
are bound once and cached in dicts, so an observation is a dict lookup and an increment.

Under gunicorn, prometheus_client's multiprocess mode is on when PROMETHEUS_MULTIPROC_DIR is set
in the environment (prometheus_client reads it itself, at import time); `metrics_text` then
merges every worker's files, django-prometheus's metrics included.
"""
from __future__ import annotations

import os
import re
import threading

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

PROVIDERS = frozenset({"openai", "anthropic", "google"})
COMPLEXITIES = frozenset({"simple", "moderate", "complex", "expert"})
CACHE_OUTCOMES = frozenset({"hit", "semantic-hit", "miss", "bypass"})
MAX_ERROR_CODES = 50
SAFE_ERROR_CODE = re.compile(r"[A-Za-z]+(?:[_.][A-Za-z]+)*")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
TTFT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "gateway_requests",
    "Gateway requests, by the model that answered and the outcome.",
    ["model", "provider", "status_class", "complexity", "cache"],
)
LATENCY = Histogram(
    "gateway_latency_seconds",
    "End-to-end latency of gateway requests.",
    ["provider", "status_class"],
    buckets=LATENCY_BUCKETS,
)
TTFT = Histogram("gateway_ttft_seconds", "Time to the first streamed byte.", ["provider"], buckets=TTFT_BUCKETS)
COST = Counter("gateway_cost_usd", "Cost in USD of priced requests.", ["model", "provider"])
CACHE_HITS = Counter("gateway_cache_hits", "Response cache hits.", ["kind"])
CACHE_MISSES = Counter("gateway_cache_misses", "Response cache misses.")
PROVIDER_ERRORS = Counter("gateway_provider_errors", "Failed upstream attempts.", ["provider", "code"])
FALLBACKS = Counter("gateway_fallbacks", "Models given up on before another one answered.", ["provider"])

_children: dict[tuple, object] = {}
_error_codes: set[str] = set()
_lock = threading.Lock()


def _child(metric, *labels):
    key = (id(metric), *labels)
    child = _children.get(key)
    if child is None:
        with _lock:
            child = _children.get(key)
            if child is None:
                child = metric.labels(*labels) if labels else metric
                _children[key] = child
    return child


def _model_label(model: str) -> str:
    if model == "none":
        return model
    from gateway.registry import holder

    snapshot = holder.snapshot
    return model if snapshot is not None and model in snapshot.models else "unknown"


def _provider_label(provider: str) -> str:
    return provider if provider in PROVIDERS or provider == "none" else "unknown"


def _status_class(status: int) -> str:
    return f"{status // 100}xx" if 100 <= status <= 599 else "unknown"


def _error_code_label(code: str) -> str:
    # Words and underscores only (rate_limit_error, RESOURCE_EXHAUSTED): a vendor "code" carrying
    # digits or dashes could be an echoed secret or id, and must never become a label.
    code = code or "unknown"
    if not SAFE_ERROR_CODE.fullmatch(code):
        return "other"
    if code in _error_codes:
        return code
    with _lock:
        if len(_error_codes) < MAX_ERROR_CODES:
            _error_codes.add(code)
            return code
    return "other"


def observe_request(
    *,
    model: str,
    provider: str,
    status: int,
    complexity: str,
    cache: str,
    latency_s: float,
    cost_usd: float | None,
) -> None:
    """Count one finished gateway request (call exactly once per request)."""
    model_label = _model_label(model)
    provider_label = _provider_label(provider)
    status_class = _status_class(status)
    complexity_label = complexity if complexity in COMPLEXITIES or complexity == "none" else "unknown"
    cache_label = cache if cache in CACHE_OUTCOMES else "unknown"
    _child(REQUESTS, model_label, provider_label, status_class, complexity_label, cache_label).inc()
    _child(LATENCY, provider_label, status_class).observe(max(0.0, latency_s))
    if cost_usd:
        _child(COST, model_label, provider_label).inc(max(0.0, cost_usd))


def observe_ttft(*, provider: str, ttft_s: float) -> None:
    _child(TTFT, _provider_label(provider)).observe(max(0.0, ttft_s))


def observe_provider_error(*, provider: str, code: str) -> None:
    """Count one failed upstream attempt (retried or not)."""
    _child(PROVIDER_ERRORS, _provider_label(provider), _error_code_label(code)).inc()


def observe_cache(hit: bool, *, semantic: bool = False) -> None:
    """Count one cache lookup: the only source of gateway_cache_hits/misses_total."""
    if hit:
        _child(CACHE_HITS, "semantic" if semantic else "exact").inc()
    else:
        _child(CACHE_MISSES).inc()


def observe_fallback(*, provider: str) -> None:
    _child(FALLBACKS, _provider_label(provider)).inc()


def is_multiprocess() -> bool:
    # prometheus_client decides from the environment at import; /metrics must follow it.
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def metrics_text() -> tuple[bytes, str]:
    """The exposition text (this process, or every worker in multiprocess mode) and its type."""
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_view(request):
    """GET /metrics: unauthenticated by design (scrapers); put it behind the network edge."""
    from django.http import HttpResponse

    body, content_type = metrics_text()
    return HttpResponse(body, content_type=content_type)
