"""Canary provider keys, one per vendor, appear nowhere the gateway writes or answers.

One scenario drives every surface a user or operator can reach — the Auth, Keys, routing and
analytics APIs, /v1 (successes on the fake vendors; then failures from a vendor that quotes the
key back in its body, headers, cookies, redirects and stream errors), the analytics pages,
/metrics, the probes and every admin page of every registered model — and then searches each
answer (body and headers), every log line (DEBUG, SQL with parameters included, stderr), the
metrics text and every database row (usage records included) for the canaries.
"""
from __future__ import annotations

import logging
import secrets

import httpx
import pytest
from django.contrib import admin
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import NoReverseMatch, reverse

from analytics import recorder
from analytics.models import UsageRecord
from gateway import auth, user_data
from gateway.models import Provider
from gateway.registry import registry_changed
from tests.conftest import jwt_client
from tests.e2e.server import LiveGateway
from tests.factories import make_user
from tests.security.conftest import MODELS, make_registry
from tests.security.leaky_vendor import MODES, LeakyVendor

SECRET_PARTS = {slug: secrets.token_hex(16) for slug in MODELS}
CANARIES = {
    "openai": f"sk-canary-{SECRET_PARTS['openai']}",
    "anthropic": f"sk-ant-canary-{SECRET_PARTS['anthropic']}",
    "google": f"AIza-canary-{SECRET_PARTS['google']}",
}
# The whole key, and a run of its random part that excludes the last 4 (which lists may show).
MARKERS = [c for c in CANARIES.values()] + [part[4:20] for part in SECRET_PARTS.values()]
CHAT = {"messages": [{"role": "user", "content": "Say hello"}]}


def leaked(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


class Sinks:
    """Everything the scenario saw, as (label, text) pairs."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []
        self.server_errors: list[str] = []

    def response(self, label: str, response, *, check_status: bool = True) -> None:
        status = getattr(response, "status_code", None)
        if check_status and status is not None and status >= 500 and status not in (502, 503):
            self.server_errors.append(f"{label}: {status}")
        headers = response.headers.items() if hasattr(response, "headers") else response.items()
        body = response.content.decode("utf-8", "replace")
        self.items.append((label, body + "\n" + "\n".join(f"{k}: {v}" for k, v in headers)))

    def text(self, label: str, text: str) -> None:
        self.items.append((label, text))

    def leaks(self) -> list[str]:
        """One line per leaking item: its label and the text around the first leaked marker."""
        lines = []
        for label, text in self.items:
            for marker in leaked(text)[:1]:
                at = text.index(marker)
                lines.append(f"{label}: ...{text[max(0, at - 80):at + len(marker) + 20]!r}")
        return lines


@pytest.fixture
def every_log_line(caplog, monkeypatch):
    """Root logger at DEBUG, the loggers settings quiet included, and SQL with its parameters."""
    caplog.set_level(logging.DEBUG)
    for name in ("django.db.backends", "httpx", "aiohttp", "asyncio", "uvicorn", "gateway", "analytics", "keys"):
        caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setattr(BaseDatabaseWrapper, "queries_logged", property(lambda self: True))
    return caplog


@pytest.fixture
def leaky_vendor():
    with LeakyVendor() as vendor:
        yield vendor


@pytest.fixture
def scene(transactional_db, fake_vendor, leaky_vendor, settings, every_log_line):
    settings.UPSTREAM_MAX_RETRIES = 0
    auth.forget_key()
    user_data.forget_user()
    make_registry(fake_vendor)
    server = LiveGateway().start()
    yield server
    server.stop()
    recorder.flush()
    auth.forget_key()
    user_data.forget_user()
    registry_changed()


def all_database_rows() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def store_keys(sinks: Sinks, alice, api: Client, operator: Client) -> str:
    """The canaries go in through the API and the admin; returns alice's raw gateway key."""
    for slug in ("openai", "google"):
        sinks.response(f"POST provider key {slug}",
                       api.post("/api/keys/providers", {"provider": slug, "key": CANARIES[slug]}, format="json"))
    sinks.response("POST provider key with a bad character",
                   api.post("/api/keys/providers", {"provider": "openai", "key": CANARIES["openai"] + " x"},
                            format="json"))
    sinks.response("POST provider key for an unknown vendor",
                   api.post("/api/keys/providers", {"provider": "nope", "key": CANARIES["openai"]}, format="json"))
    sinks.response("admin: add provider key", operator.post("/admin/keys/providerkey/add/", {
        "user": alice.pk, "provider": "anthropic", "label": "via admin", "key": CANARIES["anthropic"]}))
    created = api.post("/api/keys/gateway", {"name": "canary"}, format="json")
    assert created.status_code == 201
    return created.json()["key"]


def drive_v1(sinks: Sinks, url: str, raw_key: str, phase: str, *, cache: bool = True) -> None:
    headers = {"Authorization": f"Bearer {raw_key}", **({} if cache else {"x-gateway-cache": "no-cache"})}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        sinks.response(f"{phase}: GET /v1/models", client.get("/v1/models"))
        for model in [*MODELS.values(), "auto"]:
            for stream in (False, True):
                answer = client.post("/v1/chat/completions", json={"model": model, "stream": stream, **CHAT})
                sinks.response(f"{phase}: {model} stream={stream}", answer)


def point_providers_at(vendor: LeakyVendor) -> None:
    for provider in Provider.objects.all():
        provider.base_url = vendor.base_url(provider.slug)
        provider.save()
    registry_changed()


def read_apis(sinks: Sinks, api: Client) -> None:
    paths = ["/api/auth/me", "/api/keys/providers", "/api/keys/gateway", "/api/routing/preferences",
             "/api/analytics/overview", "/api/analytics/model-distribution", "/api/analytics/requests",
             "/api/analytics/requests?status=error", "/api/schema/"]
    paths += [f"/api/analytics/cost-breakdown?group_by={g}" for g in ("model", "provider", "day", "key")]
    for path in paths:
        sinks.response(f"GET {path}", api.get(path))
    sinks.response("POST /api/routing/preview",
                   api.post("/api/routing/preview", {"model": "auto", **CHAT}, format="json"))


def read_pages(sinks: Sinks, alice) -> None:
    pages = Client()
    pages.force_login(alice)
    paths = ["/analytics/", "/analytics/requests/", "/analytics/keys/"]
    paths += [f"/analytics/requests/{rid}/" for rid in UsageRecord.objects.values_list("request_id", flat=True)]
    for path in paths:
        sinks.response(f"page {path}", pages.get(path))
    anonymous = Client()
    for path in ("/metrics", "/healthz", "/readyz"):
        sinks.response(f"GET {path}", anonymous.get(path))


def admin_urls() -> list[str]:
    urls = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_add")]
        for pk in model_admin.get_queryset(_Request()).values_list("pk", flat=True)[:10]:
            for view in ("change", "history", "delete"):
                try:
                    urls.append(reverse(f"{prefix}_{view}", args=[pk]))
                except NoReverseMatch:
                    pass
    return urls


class _Request:
    """Just enough of a request for ModelAdmin.get_queryset."""

    def __init__(self):
        from django.contrib.auth.models import AnonymousUser

        self.user = AnonymousUser()


def read_admin(sinks: Sinks, operator: Client) -> None:
    """Admin pages that fail are test_admin_pages' business; here only what they show counts."""
    operator.raise_request_exception = False
    for url in admin_urls():
        sinks.response(f"admin {url}", operator.get(url), check_status=False)


def test_the_canary_provider_keys_appear_nowhere(scene, fake_vendor, leaky_vendor, every_log_line, capfd):
    sinks = Sinks()
    alice = make_user("alice@example.com")
    api = jwt_client(alice)
    operator = Client()
    operator.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))

    raw_key = store_keys(sinks, alice, api, operator)
    drive_v1(sinks, scene.url, raw_key, "fake vendor")
    drive_v1(sinks, scene.url, raw_key, "cache hits")
    point_providers_at(leaky_vendor)
    for mode in MODES:
        leaky_vendor.mode = mode
        drive_v1(sinks, scene.url, raw_key, f"leaky vendor {mode}", cache=False)
    recorder.flush()
    read_apis(sinks, api)
    read_pages(sinks, alice)
    read_admin(sinks, operator)
    sinks.text("usage rows", repr(list(UsageRecord.objects.values())))
    sinks.text("database rows", all_database_rows())
    sinks.text("log records", every_log_line.text)
    captured = capfd.readouterr()
    sinks.text("stdout and stderr", captured.out + captured.err)

    assert set(CANARIES.values()) <= set(leaky_vendor.keys_seen), "the canaries never reached the vendor"
    assert {r.provider for r in fake_vendor.requests} == set(MODELS), "the success phase missed a vendor"
    assert UsageRecord.objects.filter(status__gte=400).count() >= 36
    assert sinks.server_errors == []
    leaks = sinks.leaks()
    assert leaks == [], "\n".join(leaks)
