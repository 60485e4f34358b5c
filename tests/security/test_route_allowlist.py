"""Every route in the URL resolver needs authentication, except an explicit allow-list.

The resolver is walked (admin included), each route is turned into a concrete path with fake
arguments ("1", pointing at real rows), and an anonymous GET, POST {} and DELETE must each get
401, 403, 405 or a redirect to a login page — never a 2xx, never a 500 (the test client
re-raises view exceptions). A new route that forgets its auth check fails here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from analytics.models import UsageRecord
from keys.models import GatewayKey, ProviderKey
from tests.factories import make_user

# Routes that answer without a login, on purpose.
PUBLIC_ROUTES = {
    "healthz": "liveness probe for load balancers (CONTRACT Operations)",
    "readyz": "readiness probe for orchestrators (CONTRACT Operations)",
    # CONTRACT and issue 6 give /metrics no auth: Prometheus scrapes it; README says to keep it
    # behind the network edge. It carries bounded labels only (test_canary checks no secret).
    "metrics": "Prometheus scrape endpoint",
    "api/auth/signup": "creates an account",
    "api/auth/login": "exchanges credentials for tokens",
    "api/auth/refresh": "exchanges a refresh token for an access token",
    "api/schema/": "OpenAPI document",
    "api/docs/": "Swagger UI page",
    "api/redoc/": "ReDoc page",
    "admin/login/": "the operator console's login form",
    "analytics/login/": "the analytics pages' login form",
    # Unknown /v1 paths get OpenAI's 404 shape without a key, as OpenAI's own API does; the
    # answer is a fixed message (asserted below), so it tells an anonymous caller nothing.
    "v1/^(?P<path>.*)$": "404 for unknown /v1 endpoints",
}
LOGIN_PAGES = ("/admin/login/", "/analytics/login/")
METHODS = ("get", "post", "delete")


@dataclass(frozen=True)
class Route:
    pattern: str
    path: str
    callback: object


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


_CONVERTER = re.compile(r"<(?:\w+:)?\w+>")
_ALTERNATION = re.compile(r"\(\?P<\w+>([\w|]+)\)")
_ANY = re.compile(r"\(\?P<\w+>\.[*+]\)")


def concrete_path(pattern: str) -> str:
    """A path that the pattern matches: converters become "1", a regex group its first choice."""
    path = _ALTERNATION.sub(lambda m: m.group(1).split("|")[0], pattern)
    path = _ANY.sub("no-such-page", path)
    path = _CONVERTER.sub("1", path)
    return "/" + path.replace("^", "").replace("$", "")


def all_routes() -> list[Route]:
    routes = []
    for pattern, callback in _walk(get_resolver().url_patterns):
        path = concrete_path(pattern)
        routes.append(Route(pattern, path, callback))
    return routes


ROUTES = all_routes()
PROTECTED = [r for r in ROUTES if r.pattern not in PUBLIC_ROUTES]
PUBLIC = [r for r in ROUTES if r.pattern in PUBLIC_ROUTES]


@pytest.fixture
def rows_with_id_1(db):
    """Objects with id 1 (and request id "1"), so that "1" in a path names something real."""
    owner = make_user("owner@example.com", id=1)
    GatewayKey.objects.create(id=1, user=owner, name="k", digest="0" * 64, prefix="gw_test", last4="abcd")
    ProviderKey.objects.create(id=1, user=owner, provider="openai", encrypted_key="x", last4="wxyz")
    UsageRecord.objects.create(request_id="1", created_at=timezone.now(), user=owner, status=200)
    return owner


def is_refused(response, client: Client, hops: int = 3) -> bool:
    """401/403/405, or redirects that end on a login page (admin/logout/ goes via /admin/)."""
    if response.status_code in (401, 403, 405):
        return True
    if response.status_code != 302 or hops == 0:
        return False
    location = response["Location"]
    return location.startswith(LOGIN_PAGES) or is_refused(client.get(location), client, hops - 1)


def test_the_resolver_walk_finds_every_part_of_the_site():
    patterns = {r.pattern for r in ROUTES}
    assert {"api/keys/gateway", "v1/chat/completions", "admin/keys/providerkey/<path:object_id>/change/",
            "analytics/requests/<str:request_id>/"} <= patterns
    assert len(PROTECTED) > 80


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.pattern)
def test_each_concrete_path_resolves_to_its_own_route(route):
    assert resolve(route.path).func is route.callback


def test_every_allow_listed_route_exists():
    assert set(PUBLIC_ROUTES) <= {r.pattern for r in ROUTES}


@pytest.mark.parametrize("route", PROTECTED, ids=lambda r: r.pattern)
def test_an_anonymous_caller_is_refused_on_every_protected_route(route, rows_with_id_1):
    client = Client()
    answers = {method: getattr(client, method)(route.path, {}, content_type="application/json")
               for method in METHODS}

    refused = {m: (r.status_code, r.get("Location")) for m, r in answers.items() if not is_refused(r, client)}
    assert refused == {}
    assert any(r.status_code != 405 for r in answers.values()), "no method reached an auth check"


ADMIN_ROUTES = [r for r in PROTECTED if r.pattern.startswith("admin/")]


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: r.pattern)
def test_a_signed_in_user_who_is_not_staff_is_refused_in_the_admin(route, rows_with_id_1):
    client = Client()
    client.force_login(make_user("charlie@example.com"))

    answer = client.get(route.path)

    assert is_refused(answer, client), answer.status_code


@pytest.mark.parametrize("route", PUBLIC, ids=lambda r: r.pattern)
def test_public_routes_never_fail_for_an_anonymous_caller(route, rows_with_id_1):
    client = Client()
    for method in METHODS:
        answer = getattr(client, method)(route.path, {}, content_type="application/json")
        assert answer.status_code < 500, (method, answer.status_code)


def test_an_unknown_v1_path_says_only_that_it_is_unknown(db):
    answer = Client().get("/v1/users/1/keys")

    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_url"
    assert "users" not in answer.content.decode()


V1_ROUTES = [r for r in PROTECTED if r.pattern.startswith("v1/")]


@pytest.mark.parametrize("route", V1_ROUTES, ids=lambda r: r.pattern)
async def test_v1_routes_refuse_anonymous_callers_through_the_real_asgi_app(route, transactional_db):
    from gatewayproj.asgi import application

    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answers = [await client.get(route.path), await client.post(route.path, json={})]

    assert all(a.status_code in (401, 405) for a in answers), [a.status_code for a in answers]
    assert any(a.status_code == 401 for a in answers)
