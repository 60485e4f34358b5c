from decimal import Decimal

import pytest

from analytics import selectors
from keys.services import gateway_key_create
from tests.analytics.records import at, make_record

pytestmark = pytest.mark.django_db

PERIOD = {"period_from": at("2026-01-01", "00:00:00"), "period_to": at("2026-01-04", "00:00:00")}


@pytest.fixture
def records(alice):
    production, _ = gateway_key_create(user=alice, name="production")
    make_record(alice, created_at=at("2026-01-01"), model="gpt-6-luna", provider="openai", complexity="simple",
                cost_usd="0.10000000", gateway_key=production)
    make_record(alice, created_at=at("2026-01-01"), model="gpt-6-luna", provider="openai", complexity="simple",
                cost_usd="0.20000000", gateway_key=production)
    make_record(alice, created_at=at("2026-01-03"), model="claude-opus-5-5", provider="anthropic",
                complexity="expert", cost_usd="3.00000000", prompt_tokens=10, completion_tokens=5)
    make_record(alice, created_at=at("2026-01-03"), model="", provider="", complexity="", cost_usd=None,
                status=400, prompt_tokens=0, completion_tokens=0)
    return production


def _breakdown(user, group_by):
    return selectors.cost_breakdown(user=user, group_by=group_by, **PERIOD)


def test_by_model_is_sorted_by_cost(alice, records):
    rows = _breakdown(alice, "model")
    assert [(r["group"], r["requests"], r["cost_usd"]) for r in rows] == [
        ("claude-opus-5-5", 1, Decimal("3.00000000")),
        ("gpt-6-luna", 2, Decimal("0.30000000")),
        ("", 1, Decimal("0")),
    ]
    assert rows[2]["label"] == "(none)" and rows[2]["errors"] == 1
    assert rows[0]["total_tokens"] == 15


def test_by_provider(alice, records):
    rows = {r["group"]: r for r in _breakdown(alice, "provider")}
    assert rows["anthropic"]["cost_usd"] == Decimal("3.00000000")
    assert rows["openai"]["requests"] == 2


def test_by_day_lists_every_day_of_the_period(alice, records):
    rows = _breakdown(alice, "day")
    assert [r["group"] for r in rows] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert [r["requests"] for r in rows] == [2, 0, 2]
    assert rows[0]["cost_usd"] == Decimal("0.30000000")


def test_by_key_labels_the_key_and_requests_without_one(alice, records):
    rows = {r["group"]: r for r in _breakdown(alice, "key")}
    assert rows[records.pk]["label"] == f"production ({records.masked})"
    assert rows[records.pk]["cost_usd"] == Decimal("0.30000000")
    assert rows[None]["label"] == "(no key)" and rows[None]["requests"] == 2


def test_an_unknown_group_is_refused(alice):
    with pytest.raises(ValueError):
        _breakdown(alice, "colour")


def test_model_distribution_shares(alice, records):
    result = selectors.model_distribution(user=alice, **PERIOD)
    assert result["requests"] == 4
    assert result["models"][0] == {"model": "gpt-6-luna", "provider": "openai", "requests": 2, "share": 0.5}
    assert {r["complexity"]: r["share"] for r in result["complexities"]} == {"simple": 0.5, "expert": 0.25, "": 0.25}
    assert sum(r["requests"] for r in result["providers"]) == 4


def test_daily_cost_by_provider_stacks_per_day(alice, records):
    chart = selectors.daily_cost_by_provider(user=alice, **PERIOD)
    assert chart["days"] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert chart["series"] == {
        "anthropic": [Decimal(0), Decimal(0), Decimal("3.00000000")],
        "openai": [Decimal("0.30000000"), Decimal(0), Decimal(0)],
    }


def test_daily_latency_percentiles(alice):
    for latency in (100, 200, 300, 400):
        make_record(alice, created_at=at("2026-01-02"), latency_ms=latency)
    chart = selectors.daily_latency(user=alice, **PERIOD)
    assert chart["p50"] == [None, 200, None]
    assert chart["p95"] == [None, 400, None]


def test_bob_sees_none_of_alices_groups(alice, bob, records):
    assert _breakdown(bob, "model") == []
    assert selectors.model_distribution(user=bob, **PERIOD)["requests"] == 0


def test_the_dashboard_agrees_with_the_single_selectors(alice, records):
    for latency in (100, 200, 300, 400):
        make_record(alice, created_at=at("2026-01-02"), latency_ms=latency, cost_usd="0.00000007")
    for period in (PERIOD, {"period_from": at("2026-01-01", "06:00:00"), "period_to": at("2026-01-03", "13:00:00")}):
        board = selectors.dashboard(user=alice, **period)
        assert board["overview"] == selectors.overview(user=alice, **period)
        assert board["cost_per_day"] == selectors.daily_cost_by_provider(user=alice, **period)
        assert board["latency_per_day"] == selectors.daily_latency(user=alice, **period)
        assert board["distribution"] == selectors.model_distribution(user=alice, **period)
