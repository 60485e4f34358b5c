"""A canary provider key and a raw gateway key must never appear after creation: not in an API
response, a log line (SQL included), an admin page or a database row in plain text."""
import logging

import pytest
from django.db import connection
from django.test import Client

from keys.models import GatewayKey, ProviderKey
from tests.factories import make_user

CANARY = "sk-CANARY-7f3a9c2e1b8d4f6a0e5c"

pytestmark = pytest.mark.django_db


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield caplog
    connection.force_debug_cursor = forced


@pytest.fixture
def admin_client(db):
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def all_database_text() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def admin_pages_for(alice, provider_key: ProviderKey, gateway_key: GatewayKey) -> list[str]:
    pk, gk = provider_key.pk, gateway_key.pk
    return [
        "/admin/",
        "/admin/keys/providerkey/",
        f"/admin/keys/providerkey/{pk}/change/",
        f"/admin/keys/providerkey/{pk}/history/",
        f"/admin/keys/providerkey/{pk}/delete/",
        "/admin/keys/gatewaykey/",
        f"/admin/keys/gatewaykey/{gk}/change/",
        f"/admin/keys/gatewaykey/{gk}/history/",
        f"/admin/accounts/user/{alice.pk}/change/",
        f"/admin/accounts/user/{alice.pk}/delete/",
        f"/admin/accounts/user/?q={alice.email}",
    ]


def test_the_canary_and_the_raw_gateway_key_leak_nowhere(alice, alice_client, admin_client, encryption_key,
                                                         everything_logged):
    stored = alice_client.post("/api/keys/providers", {"provider": "openai", "key": CANARY, "label": "w"},
                               format="json")
    created = alice_client.post("/api/keys/gateway", {"name": "ci"}, format="json")
    raw_gateway_key = created.json()["key"]
    admin_added = admin_client.post("/admin/keys/providerkey/add/", {
        "user": alice.pk, "provider": "google", "label": "via admin", "key": CANARY.replace("sk", "gk")})
    responses = [
        stored,
        alice_client.get("/api/keys/providers"),
        alice_client.get("/api/keys/gateway"),
        alice_client.post("/api/keys/providers", {"provider": "openai", "key": CANARY + " x"}, format="json"),
        alice_client.post("/api/keys/providers", {"provider": "nope", "key": CANARY}, format="json"),
        admin_added,
        admin_client.post(f"/admin/keys/gatewaykey/{created.json()['id']}/change/",
                          {"name": "renamed", "rate_limit_rpm": "30"}),
    ]
    provider_key = ProviderKey.objects.get(provider="openai")
    gateway_key = GatewayKey.objects.get()
    pages = [admin_client.get(url) for url in admin_pages_for(alice, provider_key, gateway_key)]

    assert stored.status_code == 201 and admin_added.status_code == 302
    assert all(page.status_code == 200 for page in pages), [(p.request["PATH_INFO"], p.status_code) for p in pages]
    for response in responses + pages:
        text = response.content.decode()
        assert CANARY not in text and CANARY.replace("sk", "gk") not in text
        assert raw_gateway_key not in text
    assert gateway_key.digest not in "".join(page.content.decode() for page in pages)
    assert CANARY not in everything_logged.text and raw_gateway_key not in everything_logged.text
    database = all_database_text()
    assert CANARY not in database and CANARY.replace("sk", "gk") not in database
    assert raw_gateway_key not in database


def test_the_provider_key_admin_form_never_holds_the_key(admin_client, alice, encryption_key):
    admin_client.post("/admin/keys/providerkey/add/", {"user": alice.pk, "provider": "openai", "key": CANARY})
    key = ProviderKey.objects.get()

    change_page = admin_client.get(f"/admin/keys/providerkey/{key.pk}/change/").content.decode()
    refused = admin_client.post("/admin/keys/providerkey/add/",
                                {"user": alice.pk, "provider": "bogus", "key": CANARY}).content.decode()

    assert "encrypted_key" not in change_page and key.encrypted_key not in change_page
    assert "…" + key.last4 in change_page
    assert CANARY not in refused
