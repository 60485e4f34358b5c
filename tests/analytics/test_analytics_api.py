import pytest

from tests.analytics.records import at, make_record

pytestmark = pytest.mark.django_db

JANUARY = {"from": "2026-01-01", "to": "2026-01-31"}


@pytest.fixture
def usage(alice, bob):
    make_record(alice, created_at=at("2026-01-10"), cost_usd="1.23456789", baseline_cost_usd="2.00000000",
                latency_ms=120)
    make_record(alice, created_at=at("2026-01-31", "23:59:59"), cost_usd="0.00000001", cache="hit",
                saved_by_cache_usd="0.50000000", latency_ms=10)
    make_record(alice, created_at=at("2026-02-01", "00:00:00"), cost_usd="9.00000000")
    make_record(bob, created_at=at("2026-01-10"), cost_usd="7.00000000", status=500)


def test_overview_money_is_a_string_with_six_decimals(alice_client, usage):
    body = alice_client.get("/api/analytics/overview", JANUARY).json()
    assert body["requests"] == 2
    assert body["cost_usd"] == "1.234568"
    assert body["saved_by_routing_usd"] == "0.765432"
    assert body["saving_usd"] == "1.265432"
    assert body["cache_hit_rate"] == 0.5 and body["error_rate"] == 0.0
    assert body["p95_latency_ms"] == 120
    assert body["period"] == {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}


def test_bob_never_sees_alices_numbers(bob_client, bob, usage):
    body = bob_client.get("/api/analytics/overview", JANUARY).json()
    assert body["requests"] == 1 and body["cost_usd"] == "7.000000" and body["error_rate"] == 1.0
    rows = bob_client.get("/api/analytics/cost-breakdown", {**JANUARY, "group_by": "model"}).json()["rows"]
    assert [r["requests"] for r in rows] == [1]
    log = bob_client.get("/api/analytics/requests", JANUARY).json()
    assert log["count"] == 1 and [r["user"] for r in log["results"]] == [bob.pk]


def test_a_user_asking_for_another_user_is_forbidden(bob_client, alice, usage):
    response = bob_client.get("/api/analytics/overview", {**JANUARY, "user": alice.pk})
    assert response.status_code == 403


def test_staff_see_everyone_and_filter_by_user(staff_client, alice, bob, usage):
    assert staff_client.get("/api/analytics/overview", JANUARY).json()["requests"] == 3
    body = staff_client.get("/api/analytics/overview", {**JANUARY, "user": bob.pk}).json()
    assert body["requests"] == 1 and body["cost_usd"] == "7.000000"


def test_cost_breakdown_by_day(alice_client, usage):
    body = alice_client.get("/api/analytics/cost-breakdown", {**JANUARY, "group_by": "day"}).json()
    assert body["group_by"] == "day" and len(body["rows"]) == 31
    assert body["rows"][9] == {"group": "2026-01-10", "label": "2026-01-10", "requests": 1, "errors": 0,
                               "cost_usd": "1.234568", "prompt_tokens": 100, "completion_tokens": 50,
                               "total_tokens": 150}


def test_model_distribution(alice_client, usage):
    body = alice_client.get("/api/analytics/model-distribution", JANUARY).json()
    assert body["models"] == [{"model": "gpt-6-luna", "provider": "openai", "requests": 2, "share": 1.0}]
    assert body["complexities"] == [{"complexity": "simple", "requests": 2, "share": 1.0}]


def test_request_log_is_paginated_newest_first(alice_client, alice):
    for day in range(1, 8):
        make_record(alice, created_at=at(f"2026-01-0{day}"), request_id=f"day-{day}")
    first = alice_client.get("/api/analytics/requests", {**JANUARY, "page_size": 3}).json()
    assert first["count"] == 7
    assert [r["request_id"] for r in first["results"]] == ["day-7", "day-6", "day-5"]
    last = alice_client.get("/api/analytics/requests", {**JANUARY, "page_size": 3, "page": 3}).json()
    assert [r["request_id"] for r in last["results"]] == ["day-1"] and last["next"] is None


def test_request_log_filters(alice_client, alice):
    make_record(alice, created_at=at("2026-01-02"), request_id="ok")
    make_record(alice, created_at=at("2026-01-03"), request_id="limited", status=429, cost_usd=None)
    body = alice_client.get("/api/analytics/requests", {**JANUARY, "status": "4xx"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["request_id"] == "limited" and row["cost_usd"] is None and row["key"] is None
    body = alice_client.get("/api/analytics/requests", {**JANUARY, "model": "gpt-6-luna", "cache": "miss"}).json()
    assert body["count"] == 2 and body["results"][0]["cost_usd"] is None
    assert body["results"][1]["cost_usd"] == "0.01000000"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/analytics/overview", {"from": "yesterday"}),
        ("/api/analytics/overview", {"from": "2026-02-30"}),
        ("/api/analytics/overview", {"from": "2026-02-01", "to": "2026-01-01"}),
        ("/api/analytics/overview", {"from": "2020-01-01", "to": "2026-01-01"}),
        ("/api/analytics/overview", {"to": "9999-12-31"}),
        ("/api/analytics/overview", {"user": "me"}),
        ("/api/analytics/cost-breakdown", {"group_by": "colour"}),
        ("/api/analytics/requests", {"status": "teapot"}),
        ("/api/analytics/requests", {"status": "999"}),
        ("/api/analytics/requests", {"cache": "maybe"}),
        ("/api/analytics/requests", {"complexity": "hard"}),
        ("/api/analytics/requests", {"key": "abc"}),
        ("/api/analytics/requests", {"page": "0"}),
        ("/api/analytics/requests", {"page_size": "1000"}),
    ],
)
def test_bad_parameters_are_400(alice_client, path, params):
    response = alice_client.get(path, params)
    assert response.status_code == 400
    assert set(response.json()) & {"from", "to", "user", "group_by", "status", "cache", "complexity", "key", "page",
                                   "page_size"}


def test_datetimes_are_accepted(alice_client, alice):
    make_record(alice, created_at=at("2026-01-10", "10:00:00"))
    make_record(alice, created_at=at("2026-01-10", "14:00:00"))
    body = alice_client.get("/api/analytics/overview",
                            {"from": "2026-01-10T12:00:00Z", "to": "2026-01-10T15:00:00+00:00"}).json()
    assert body["requests"] == 1


@pytest.mark.parametrize("path", ["overview", "cost-breakdown", "model-distribution", "requests"])
def test_anonymous_callers_are_refused(anon_client, path):
    assert anon_client.get(f"/api/analytics/{path}").status_code == 401


def test_the_schema_documents_the_endpoints(alice_client):
    schema = alice_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("overview", "cost-breakdown", "model-distribution", "requests"):
        assert f"/api/analytics/{path}" in schema
