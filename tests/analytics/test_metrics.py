import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from analytics import metrics
from gateway.registry import RegistrySnapshot, holder
from tests.analytics.metrics_worker import MODEL

ROOT = Path(__file__).resolve().parents[2]
LABELS = {"model": "gpt-6-luna", "provider": "openai", "status_class": "2xx", "complexity": "simple", "cache": "miss"}


def sample(text: str, name: str, labels: dict) -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                total += s.value
    return total


@pytest.fixture
def registry_with_luna(monkeypatch):
    monkeypatch.setattr(holder, "snapshot", RegistrySnapshot(models={MODEL.model_id: MODEL}))


def _scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _observe(**overrides):
    args = {"model": "gpt-6-luna", "provider": "openai", "status": 200, "complexity": "simple", "cache": "miss",
            "latency_s": 0.3, "cost_usd": 0.25}
    metrics.observe_request(**{**args, **overrides})


@pytest.mark.django_db
def test_requests_latency_and_cost_are_reported(client, registry_with_luna):
    before = _scrape(client)
    for _ in range(3):
        _observe()
    after = _scrape(client)
    assert sample(after, "gateway_requests_total", LABELS) - sample(before, "gateway_requests_total", LABELS) == 3
    count = {"provider": "openai", "status_class": "2xx"}
    assert sample(after, "gateway_latency_seconds_count", count) - sample(before, "gateway_latency_seconds_count",
                                                                          count) == 3
    cost = {"model": "gpt-6-luna", "provider": "openai"}
    assert sample(after, "gateway_cost_usd_total", cost) - sample(before, "gateway_cost_usd_total", cost) == 0.75


@pytest.mark.django_db
def test_labels_stay_bounded(client, registry_with_luna):
    before = _scrape(client)
    _observe(model="made-up-model-123", provider="acme", status=499, complexity="weird", cache="???")
    after = _scrape(client)
    unknown = {"model": "unknown", "provider": "unknown", "status_class": "4xx", "complexity": "unknown",
               "cache": "unknown"}
    assert sample(after, "gateway_requests_total", unknown) - sample(before, "gateway_requests_total", unknown) == 1
    assert "made-up-model-123" not in after and "acme" not in after


@pytest.mark.django_db
def test_cache_and_provider_error_counters(client, monkeypatch):
    monkeypatch.setattr(metrics, "_error_codes", set())
    monkeypatch.setattr(metrics, "MAX_ERROR_CODES", 2)
    before = _scrape(client)
    metrics.observe_cache(True)
    metrics.observe_cache(True, semantic=True)
    metrics.observe_cache(False)
    for code in ("rate_limited", "timeout", "brand_new_code", "another_code", "sk-live-4f9a0c2e"):
        metrics.observe_provider_error(provider="anthropic", code=code)
    after = _scrape(client)

    def delta(name, labels):
        return sample(after, name, labels) - sample(before, name, labels)

    assert delta("gateway_cache_hits_total", {"kind": "exact"}) == 1
    assert delta("gateway_cache_hits_total", {"kind": "semantic"}) == 1
    assert delta("gateway_cache_misses_total", {}) == 1
    assert delta("gateway_provider_errors_total", {"provider": "anthropic", "code": "rate_limited"}) == 1
    assert delta("gateway_provider_errors_total", {"provider": "anthropic", "code": "other"}) == 3
    assert "sk-live" not in after


def test_metrics_from_four_worker_processes_add_up(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "gatewayproj.test_settings"}
    counts = [7, 11, 13, 19]
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.analytics.metrics_worker", "observe", str(n)], cwd=ROOT, env=env)
        for n in counts
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0, 0]
    assert len(list(tmp_path.glob("counter_*.db"))) == 4  # one file per worker process
    scraped = subprocess.run([sys.executable, "-m", "tests.analytics.metrics_worker", "scrape"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert sample(scraped, "gateway_requests_total", LABELS) == sum(counts)
    assert sample(scraped, "gateway_latency_seconds_count", {"provider": "openai"}) == sum(counts)
