import re

import pytest
from django.test import Client

from keys.models import GatewayKey, ProviderKey
from keys.services import gateway_key_create
from tests.analytics.records import at, make_record
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


def _stat(html: str, name: str) -> str:
    return re.search(rf'data-stat="{name}">([^<]*)<', html).group(1)


@pytest.mark.parametrize("path", ["/analytics/", "/analytics/requests/", "/analytics/keys/"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/analytics/login/?next=")


def test_login_page_logs_in_with_email_and_password(client, alice):
    assert client.get("/analytics/login/").status_code == 200
    response = client.post("/analytics/login/", {"username": alice.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/analytics/"
    assert client.get("/analytics/").status_code == 200


def test_a_wrong_password_shows_an_error(client, alice):
    response = client.post("/analytics/login/", {"username": alice.email, "password": "nope"})
    assert response.status_code == 200 and b"did not match" in response.content


def test_logout(alice_browser):
    assert alice_browser.post("/analytics/logout/").status_code == 302
    assert alice_browser.get("/analytics/").status_code == 302


def test_overview_cards_agree_with_the_api(alice_browser, alice_client, alice):
    make_record(alice, created_at=at("2026-01-10"), cost_usd="12.34567890", latency_ms=150, prompt_tokens=2000,
                completion_tokens=850)
    make_record(alice, created_at=at("2026-01-11"), cost_usd=None, status=502, latency_ms=40)
    html = alice_browser.get("/analytics/", JANUARY).content.decode()
    api = alice_client.get("/api/analytics/overview", JANUARY).json()
    assert _stat(html, "requests") == str(api["requests"]) == "2"
    assert _stat(html, "cost") == "$12.35" and api["cost_usd"] == "12.345679"
    assert _stat(html, "error-rate") == "50.0%" and api["error_rate"] == 0.5
    assert _stat(html, "p95") == "150 ms" and api["p95_latency_ms"] == 150
    assert _stat(html, "tokens") == "3.0k"
    for chart in ("chart-cost", "chart-models", "chart-complexity", "chart-latency"):
        assert f'id="{chart}"' in html
    assert html.count("<rect class=\"bar\"") >= 2  # a cost bar and a model bar


def test_bob_never_sees_alices_numbers_on_the_pages(bob_browser, alice):
    record = make_record(alice, created_at=at("2026-01-10"), cost_usd="99.00000000", request_id="alice-secret")
    html = bob_browser.get("/analytics/", JANUARY).content.decode()
    assert _stat(html, "requests") == "0" and "99.00" not in html
    log = bob_browser.get("/analytics/requests/", JANUARY).content.decode()
    assert "alice-secret" not in log
    assert bob_browser.get(f"/analytics/requests/{record.request_id}/").status_code == 404
    assert bob_browser.get("/analytics/", {**JANUARY, "user": alice.pk}).status_code == 403


def test_staff_get_a_user_selector_and_everyones_numbers(staff_browser, alice, bob):
    make_record(alice, created_at=at("2026-01-10"))
    make_record(bob, created_at=at("2026-01-10"))
    html = staff_browser.get("/analytics/", JANUARY).content.decode()
    assert 'id="user-select"' in html and "All users" in html and alice.email in html
    assert _stat(html, "requests") == "2"
    one = staff_browser.get("/analytics/", {**JANUARY, "user": bob.pk}).content.decode()
    assert _stat(one, "requests") == "1"


def test_users_get_no_user_selector(alice_browser):
    assert 'id="user-select"' not in alice_browser.get("/analytics/").content.decode()


def test_bad_period_is_a_400_page(alice_browser):
    response = alice_browser.get("/analytics/", {"from": "soon"})
    assert response.status_code == 400 and b"ISO date" in response.content


def test_request_log_filters_and_paginates(alice_browser, alice):
    for day in range(1, 10):
        make_record(alice, created_at=at(f"2026-01-0{day}"), request_id=f"ok-{day}")
    make_record(alice, created_at=at("2026-01-05"), request_id="broken", status=503)
    page = alice_browser.get("/analytics/requests/", {**JANUARY, "page_size": 4}).content.decode()
    assert "10 requests" in page and "Page 1 of 3" in page
    assert page.index("ok-9") < page.index("ok-8")  # newest first
    filtered = alice_browser.get("/analytics/requests/", {**JANUARY, "status": "5xx"}).content.decode()
    assert "broken" in filtered and "ok-1" not in filtered and "1 requests" in filtered
    assert alice_browser.get("/analytics/requests/", {**JANUARY, "status": "nope"}).status_code == 400
    assert alice_browser.get("/analytics/requests/", {**JANUARY, "page": 99}).status_code == 404


def test_request_detail(alice_browser, alice):
    record = make_record(alice, created_at=at("2026-01-10"), cost_usd="0.00012345", error_code="", ttft_ms=80)
    html = alice_browser.get(f"/analytics/requests/{record.request_id}/").content.decode()
    assert record.request_id in html and "$0.00012345" in html and "80 ms" in html


def test_creating_a_gateway_key_shows_it_once(alice_browser, alice):
    response = alice_browser.post("/analytics/keys/gateway/", {"name": "laptop", "rate_limit_rpm": "30"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-key-value">([^<]+)<', response.content.decode()).group(1)
    key = GatewayKey.objects.get(user=alice)
    assert key.name == "laptop" and key.rate_limit_rpm == 30 and raw.endswith(key.last4)
    assert raw not in alice_browser.get("/analytics/keys/").content.decode()


def test_a_bad_key_name_is_a_400_with_the_form(alice_browser):
    response = alice_browser.post("/analytics/keys/gateway/", {"name": ""})
    assert response.status_code == 400 and b"This field is required" in response.content


def test_revoking_a_key(alice_browser, alice, bob):
    key, _ = gateway_key_create(user=alice, name="old")
    bobs, _ = gateway_key_create(user=bob, name="bobs")
    assert alice_browser.post(f"/analytics/keys/gateway/{bobs.pk}/revoke/").status_code == 404
    assert alice_browser.post(f"/analytics/keys/gateway/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    bobs.refresh_from_db()
    assert key.revoked_at is not None and bobs.revoked_at is None


def test_adding_and_deleting_a_provider_key(alice_browser, alice):
    secret = "sk-test-abcdefghijklmnop1234"
    response = alice_browser.post("/analytics/keys/providers/", {"provider": "openai", "key": secret, "label": "me"})
    assert response.status_code == 302
    row = ProviderKey.objects.get(user=alice)
    page = alice_browser.get("/analytics/keys/").content.decode()
    assert "…1234" in page and secret not in page
    assert alice_browser.post(f"/analytics/keys/providers/{row.pk}/delete/").status_code == 302
    assert not ProviderKey.objects.filter(user=alice).exists()


def test_a_bad_provider_key_is_refused_without_echoing_it(alice_browser):
    response = alice_browser.post("/analytics/keys/providers/", {"provider": "openai", "key": "short"})
    assert response.status_code == 400 and b"too short" in response.content and b"short\"" not in response.content


def test_key_pages_refuse_get_on_write_urls(alice_browser):
    assert alice_browser.get("/analytics/keys/gateway/").status_code == 405


def test_anonymous_posts_go_to_login():
    response = Client().post("/analytics/keys/gateway/", {"name": "x"})
    assert response.status_code == 302
