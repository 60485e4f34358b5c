"""Hostile bodies on the JSON management API (/api) are a 4xx in DRF's shape, never a 500."""
import pytest
from rest_framework.test import APIClient

from tests.security.asgi_calls import asgi_post

DEEP = 100_000
BODIES = {
    "nested far past Python's recursion limit": ('{"name": ' + "[" * DEEP + "]" * DEEP + "}").encode(),
    "not JSON": b"{name: 'x'",
    "not UTF-8": b'{"name": "\xff\xfe\xfa"}',
    "a JSON array": b"[1, 2, 3]",
    "a JSON string": b'"x"',
    "NaN": b'{"name": NaN}',
    "a lone surrogate": b'{"name": "\\ud800"}',
    "null bytes": b'{"name": "a\\u0000b"}',
    "empty": b"",
}
ENDPOINTS = [
    ("/api/auth/signup", False),
    ("/api/auth/login", False),
    ("/api/auth/refresh", False),
    ("/api/auth/logout", True),
    ("/api/keys/gateway", True),
    ("/api/keys/providers", True),
    ("/api/routing/preview", True),
]


def client_for(needs_auth: bool, alice_client) -> APIClient:
    return alice_client if needs_auth else APIClient()


def assert_clean_refusal(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("name", list(BODIES))
@pytest.mark.parametrize("path,needs_auth", ENDPOINTS)
def test_hostile_json_bodies_are_a_4xx(alice_client, path, needs_auth, name):
    response = client_for(needs_auth, alice_client).post(path, BODIES[name], content_type="application/json")
    assert_clean_refusal(response)


@pytest.mark.parametrize("path,needs_auth", ENDPOINTS)
def test_a_body_over_the_upload_limit_is_a_413(alice_client, settings, path, needs_auth):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = b'{"name": "' + b"a" * 20_000 + b'"}'

    response = client_for(needs_auth, alice_client).post(path, body, content_type="application/json")

    assert response.status_code == 413, (response.status_code, response.content[:300])
    assert "detail" in response.json()


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x"])
def test_other_content_types_are_a_4xx(alice_client, content_type):
    response = alice_client.post("/api/keys/gateway", b'{"name": "x"}', content_type=content_type)
    assert_clean_refusal(response)


def test_a_huge_query_string_on_analytics_is_a_4xx(alice_client):
    response = alice_client.get("/api/analytics/requests", {"model": "x" * 100_000, "page": "9" * 400})
    assert response.status_code < 500


def _oversized_login(limit: int) -> bytes:
    return b'{"email": "a@example.com", "password": "' + b"a" * (limit * 2) + b'"}'


async def test_an_oversized_body_with_its_length_declared_is_a_413_through_the_asgi_app(transactional_db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = _oversized_login(10_000)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    status, _ = await asgi_post("/api/auth/login", [body], headers)

    assert status == 413


async def test_an_oversized_chunked_body_is_a_413_through_the_asgi_app(transactional_db, settings):
    """Without Content-Length, Django's ASGI handler spools the whole body and DRF then reads no
    body at all (a 400 for missing fields): the size limit must apply while the body arrives."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = _oversized_login(10_000)
    chunks = [body[i:i + 4096] for i in range(0, len(body), 4096)]

    status, _ = await asgi_post("/api/auth/login", chunks, [(b"content-type", b"application/json")])

    assert status == 413
