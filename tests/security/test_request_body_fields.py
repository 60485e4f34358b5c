"""Hostile /v1 bodies are refused before any provider is called, and never open a connection.

Fields that would redirect a call or replace its credentials are a 400; oversized bodies are a
413 (declared, chunked without Content-Length, or lying about their length); deep nesting and
`n`/`max_tokens` beyond the caps are a 400. A `ConnectionTrap` (a TCP listener on 127.0.0.1)
stands where a hostile field points, and the fake vendor records every upstream request.
"""
from __future__ import annotations

import pytest
from django.test import Client

from gateway.models import Provider
from gateway.registry import registry_changed
from gateway.urlpolicy import base_url_problem
from tests.factories import make_user
from tests.security.asgi_calls import asgi_post
from tests.security.conftest import MODELS

HELLO = [{"role": "user", "content": "hello"}]


def chat(**extra) -> dict:
    return {"model": MODELS["openai"], "messages": HELLO, **extra}


def hostile_fields(trap_url: str) -> dict[str, object]:
    return {
        "api_base": trap_url,
        "base_url": f"{trap_url}/v1",
        "api_key": "sk-attacker-supplied-key",
        "api_version": "2024-01-01",
        "custom_llm_provider": "openai",
        "organization": "org-attacker",
        "extra_headers": {"Host": f"127.0.0.1:{trap_url.rsplit(':', 1)[1]}"},
    }


def test_a_plain_request_reaches_the_vendor_so_the_refusals_below_mean_something(world, gateway_http, trap):
    answer = gateway_http.post("/v1/chat/completions", json=chat(), headers=world.headers())

    assert answer.status_code == 200
    assert len(world.fake.requests) == 1
    assert trap.connections == []


@pytest.mark.parametrize("field", list(hostile_fields("http://127.0.0.1:1")))
@pytest.mark.parametrize("stream", [False, True])
def test_redirecting_fields_are_refused_and_nothing_is_contacted(world, gateway_http, trap, field, stream):
    body = chat(stream=stream, **{field: hostile_fields(trap.url)[field]})

    answer = gateway_http.post("/v1/chat/completions", json=body, headers=world.headers())

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == field
    assert trap.url not in answer.text and "sk-attacker" not in answer.text
    assert world.fake.requests == []
    assert trap.connections == []


def test_a_model_named_by_url_is_not_found_and_nothing_is_contacted(world, gateway_http, trap):
    for model in (trap.url, f"{trap.url}/v1/chat/completions", f"openai/{trap.url}"):
        answer = gateway_http.post("/v1/chat/completions", json={"model": model, "messages": HELLO},
                                   headers=world.headers())
        assert answer.status_code in (400, 404), answer.status_code
    assert world.fake.requests == []
    assert trap.connections == []


@pytest.mark.parametrize("provider", list(MODELS))
def test_image_urls_are_handed_to_the_vendor_never_fetched_by_the_gateway(world, gateway_http, trap, provider):
    image = f"{trap.url}/latest/meta-data/cat.png"
    messages = [{"role": "user", "content": [{"type": "text", "text": "what is this?"},
                                             {"type": "image_url", "image_url": {"url": image}}]}]

    answer = gateway_http.post("/v1/chat/completions", json={"model": MODELS[provider], "messages": messages},
                               headers=world.headers())

    assert answer.status_code == 200, answer.text
    assert len(world.fake.requests) == 1 and image in str(world.fake.requests[0].body)
    assert trap.connections == []


# --- operator base URLs ------------------------------------------------------------------------

PRIVATE_BASE_URLS = [
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/v1",
    "http://192.168.1.10:8080/v1",
    "http://172.16.0.5/v1",
    "http://127.0.0.1:11434/v1",
    "http://[::1]:8080/v1",
    "http://[fe80::1]/v1",
    "http://[::ffff:169.254.169.254]/v1",
    "http://localhost:11434/v1",
    "http://api.localhost/v1",
    "http://0.0.0.0/v1",
    "http://2852039166/v1",  # 169.254.169.254 as one decimal number
    "http://0x7f000001/v1",  # 127.0.0.1 in hex
    "http://127.1/v1",
]
ALWAYS_REFUSED = [
    "https://user:secret@api.openai.com/v1",
    "https://api.openai.com@169.254.169.254/v1",
    "https://api.openai.com/v1#frag",
    "ftp://api.openai.com/v1",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "//api.openai.com/v1",
]


@pytest.mark.parametrize("url", PRIVATE_BASE_URLS)
def test_a_private_or_link_local_base_url_needs_the_explicit_setting(settings, url):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    problem = base_url_problem(url)
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    allowed = base_url_problem(url)

    assert problem is not None and "ALLOW_PRIVATE_PROVIDER_URLS" in problem
    assert allowed is None


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("url", ALWAYS_REFUSED)
def test_userinfo_fragments_and_other_schemes_are_refused_whatever_the_setting(settings, url, allow_private):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = allow_private
    assert base_url_problem(url) is not None


def test_a_public_address_is_accepted_without_the_setting(settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    assert base_url_problem("https://8.8.8.8/v1") is None


@pytest.fixture
def operator(db):
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest", "http://10.0.0.1/v1", "http://[::1]:8080/v1",
                                 "http://localhost:8080/v1"])
def test_the_admin_refuses_a_private_base_url_unless_the_setting_allows_it(operator, settings, url):
    form = {"slug": "openai", "name": "OpenAI", "base_url": url, "enabled": "on"}
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    refused = operator.post("/admin/gateway/provider/add/", form)
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    accepted = operator.post("/admin/gateway/provider/add/", form)

    assert refused.status_code == 200 and "ALLOW_PRIVATE_PROVIDER_URLS" in refused.content.decode()
    assert accepted.status_code == 302
    assert Provider.objects.get().base_url == url


def test_the_admin_refuses_a_base_url_with_userinfo_even_when_private_urls_are_allowed(operator, settings):
    settings.ALLOW_PRIVATE_PROVIDER_URLS = True
    form = {"slug": "openai", "name": "OpenAI", "base_url": "https://me:pw@api.openai.com/v1", "enabled": "on"}

    answer = operator.post("/admin/gateway/provider/add/", form)

    assert answer.status_code == 200 and not Provider.objects.exists()


def test_a_stored_private_base_url_is_not_called_once_the_setting_is_off(world, gateway_http, settings):
    """The setting must bind the request path too, not only the admin form: a row saved while it
    was on (or written without the form) must not be called once it is off."""
    settings.ALLOW_PRIVATE_PROVIDER_URLS = False
    registry_changed()

    answer = gateway_http.post("/v1/chat/completions", json=chat(), headers=world.headers())

    assert world.fake.requests == []
    assert 400 <= answer.status_code < 600 and answer.status_code != 500


# --- sizes, depth and caps -------------------------------------------------------------------


@pytest.fixture
def small_limit(settings):
    settings.GATEWAY_MAX_BODY_BYTES = 4096
    return 4096


def padded_body(size: int) -> bytes:
    head = b'{"model": "%s", "messages": [{"role": "user", "content": "' % MODELS["openai"].encode()
    tail = b'"}]}'
    body = head + b"a" * (size - len(head) - len(tail)) + tail
    assert len(body) == size
    return body


def assert_too_large(answer):
    assert answer.status_code == 413, answer.status_code
    assert answer.json()["error"]["code"] == "request_too_large"


def test_a_body_over_the_limit_is_a_413_over_http(world, gateway_http, small_limit):
    answer = gateway_http.post("/v1/chat/completions", content=padded_body(small_limit + 1),
                               headers={**world.headers(), "Content-Type": "application/json"})
    assert_too_large(answer)
    assert world.fake.requests == []


def test_a_chunked_body_without_content_length_over_the_limit_is_a_413_over_http(world, gateway_http, small_limit):
    body = padded_body(small_limit * 2)
    chunks = (body[i:i + 1000] for i in range(0, len(body), 1000))

    answer = gateway_http.post("/v1/chat/completions", content=chunks,
                               headers={**world.headers(), "Content-Type": "application/json"})

    assert_too_large(answer)
    assert world.fake.requests == []


def test_a_body_just_under_the_limit_is_served(world, gateway_http, small_limit):
    answer = gateway_http.post("/v1/chat/completions", content=padded_body(small_limit),
                               headers={**world.headers(), "Content-Type": "application/json"})
    assert answer.status_code == 200


def _asgi_headers(world, **extra) -> list[tuple[bytes, bytes]]:
    headers = [(b"authorization", f"Bearer {world.raw_key}".encode()), (b"content-type", b"application/json")]
    return headers + [(k.replace("_", "-").encode(), v.encode()) for k, v in extra.items()]


async def test_a_body_longer_than_its_declared_length_is_a_413_at_the_asgi_level(world, small_limit):
    body = padded_body(small_limit * 3)
    status, _ = await asgi_post("/v1/chat/completions", [body[:2000], body[2000:]],
                                _asgi_headers(world, content_length="100"))
    assert status == 413


async def test_a_chunked_body_over_the_limit_is_a_413_at_the_asgi_level(world, small_limit):
    body = padded_body(small_limit * 3)
    chunks = [body[i:i + 512] for i in range(0, len(body), 512)]
    status, answer = await asgi_post("/v1/chat/completions", chunks, _asgi_headers(world, transfer_encoding="chunked"))
    assert status == 413 and b"request_too_large" in answer


async def test_a_declared_length_over_the_limit_is_a_413_before_the_body_is_read(world, small_limit):
    status, _ = await asgi_post("/v1/chat/completions", [b"{}"], _asgi_headers(world, content_length=str(10**12)))
    assert status == 413


async def test_a_small_body_at_the_asgi_level_is_parsed_so_the_413s_above_are_about_size(world, small_limit):
    status, answer = await asgi_post("/v1/chat/completions", [b"{not json"], _asgi_headers(world))
    assert status == 400 and b"invalid_json" in answer


@pytest.mark.parametrize("depth", [65, 200, 5_000, 200_000])
def test_deeply_nested_json_is_a_400(world, gateway_http, depth):
    raw = b'{"model": "%s", "messages": [{"role": "user", "content": "hi"}], "metadata": %s%s}' % (
        MODELS["openai"].encode(), b"[" * depth, b"]" * depth)

    answer = gateway_http.post("/v1/chat/completions", content=raw,
                               headers={**world.headers(), "Content-Type": "application/json"})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] in ("too_deep", "invalid_json")
    assert world.fake.requests == []


def nested_body(levels: int) -> dict:
    """A chat body `levels` deep: the body object is level 1, each list under it one more."""
    value: object = "leaf"
    for _ in range(levels - 1):
        value = [value]
    return chat(metadata=value)


def test_nesting_at_the_limit_is_accepted_and_one_more_level_is_not(world, gateway_http, settings):
    limit = settings.GATEWAY_MAX_JSON_DEPTH
    at_limit = gateway_http.post("/v1/chat/completions", json=nested_body(limit), headers=world.headers())
    over = gateway_http.post("/v1/chat/completions", json=nested_body(limit + 1), headers=world.headers())

    assert at_limit.status_code == 200, at_limit.text
    assert over.status_code == 400 and over.json()["error"]["code"] == "too_deep"


def over_the_caps(settings) -> list[tuple[str, object]]:
    n_cap, tokens_cap = settings.GATEWAY_MAX_N, settings.GATEWAY_MAX_OUTPUT_TOKENS
    return [
        ("n", n_cap + 1), ("n", 10**9), ("n", 0), ("n", -1), ("n", "2"), ("n", True), ("n", 2.5),
        ("max_tokens", tokens_cap + 1), ("max_tokens", 10**30), ("max_tokens", 0), ("max_tokens", -5),
        ("max_tokens", "100"), ("max_tokens", 1e3),
        ("max_completion_tokens", tokens_cap + 1), ("max_completion_tokens", 0),
    ]


def test_n_and_max_tokens_beyond_the_caps_are_a_400_before_any_provider_call(world, gateway_http, settings):
    for field, value in over_the_caps(settings):
        answer = gateway_http.post("/v1/chat/completions", json=chat(**{field: value}), headers=world.headers())
        assert answer.status_code == 400, (field, value, answer.status_code)
        assert answer.json()["error"]["param"] == field
    assert world.fake.requests == []


def test_n_and_max_tokens_at_the_caps_are_accepted(world, gateway_http, settings):
    answer = gateway_http.post("/v1/chat/completions", headers=world.headers(),
                               json=chat(n=settings.GATEWAY_MAX_N, max_tokens=settings.GATEWAY_MAX_OUTPUT_TOKENS))
    assert answer.status_code == 200, answer.text
