import pytest

from tests.analytics.records import at, make_record
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def test_the_usage_log_is_searchable_by_request_id_and_read_only(admin_client, alice):
    make_record(alice, created_at=at("2026-01-02"), request_id="find-me")
    make_record(alice, created_at=at("2026-01-03"), request_id="not-me")
    page = admin_client.get("/admin/analytics/usagerecord/", {"q": "find-me"}).content.decode()
    assert "find-me" in page and "not-me" not in page
    assert admin_client.get("/admin/analytics/usagerecord/add/").status_code == 403


@pytest.mark.parametrize("query", [{"status_class": "5xx"}, {"provider": "openai"}, {"complexity": "simple"},
                                   {"cache": "miss"}])
def test_filters(admin_client, alice, query):
    make_record(alice, created_at=at("2026-01-02"), request_id="req-failed-503", status=503)
    make_record(alice, created_at=at("2026-01-02"), request_id="req-fine-200", provider="google", complexity="expert",
                cache="hit")
    page = admin_client.get("/admin/analytics/usagerecord/", query).content.decode()
    assert "req-failed-503" in page and "req-fine-200" not in page
