import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from analytics import selectors
from tests.analytics.records import at, make_record

pytestmark = pytest.mark.django_db

JAN = (at("2026-01-01", "00:00:00"), at("2026-02-01", "00:00:00"))


def _overview(user, period=JAN, **kwargs):
    return selectors.overview(user=user, period_from=period[0], period_to=period[1], **kwargs)


def _known_records(user):
    make_record(user, created_at=at("2026-01-05"), cost_usd="0.12345678", baseline_cost_usd="1.00000000",
                prompt_tokens=1000, completion_tokens=200, latency_ms=100)
    make_record(user, created_at=at("2026-01-06"), cost_usd="2.50000001", baseline_cost_usd="3.00000000",
                prompt_tokens=3000, completion_tokens=700, latency_ms=300, status=200)
    make_record(user, created_at=at("2026-01-07"), cost_usd=None, baseline_cost_usd=None,
                saved_by_cache_usd="0.33333333", cache="hit", latency_ms=5, prompt_tokens=0, completion_tokens=0)
    make_record(user, created_at=at("2026-01-08"), cost_usd=None, is_priced=False, baseline_cost_usd="0.50000000",
                cache="semantic-hit", latency_ms=7)
    make_record(user, created_at=at("2026-01-09"), cost_usd=None, status=503, error_code="all_models_failed",
                latency_ms=900, prompt_tokens=0, completion_tokens=0)


def test_totals_are_exact_to_the_cent(alice):
    _known_records(alice)
    totals = _overview(alice)
    assert totals["requests"] == 5
    assert totals["cost_usd"] == Decimal("2.62345679")
    assert totals["prompt_tokens"] == 1000 + 3000 + 100
    assert totals["completion_tokens"] == 200 + 700 + 50
    assert totals["total_tokens"] == totals["prompt_tokens"] + totals["completion_tokens"]


def test_saving_counts_known_baselines_and_the_cache(alice):
    _known_records(alice)
    totals = _overview(alice)
    # (1 - 0.12345678) + (3 - 2.50000001); the unpriced record's baseline has no cost beside it.
    assert totals["saved_by_routing_usd"] == Decimal("1.37654321")
    assert totals["saved_by_cache_usd"] == Decimal("0.33333333")
    assert totals["saving_usd"] == Decimal("1.70987654")


def test_rates_and_latency(alice):
    _known_records(alice)
    totals = _overview(alice)
    assert totals["cache_hits"] == 2 and totals["cache_hit_rate"] == 0.4
    assert totals["errors"] == 1 and totals["error_rate"] == 0.2
    assert totals["unpriced_requests"] == 1
    assert totals["avg_latency_ms"] == round((100 + 300 + 5 + 7 + 900) / 5, 1)
    # Nearest rank over [5, 7, 100, 300, 900]: p50 is the 3rd value, p95 the 5th.
    assert totals["p50_latency_ms"] == 100
    assert totals["p95_latency_ms"] == 900


def test_p95_is_the_nearest_rank_over_many_records(alice):
    for latency in range(10, 1010, 10):  # 100 records: 10, 20, ... 1000 ms
        make_record(alice, created_at=at("2026-01-10"), latency_ms=latency)
    totals = _overview(alice)
    assert totals["p95_latency_ms"] == 950
    assert totals["p50_latency_ms"] == 500


def test_an_empty_period_has_zeros_and_no_latency(alice):
    totals = _overview(alice)
    assert totals["requests"] == 0 and totals["cost_usd"] == Decimal(0) and totals["error_rate"] == 0.0
    assert totals["p95_latency_ms"] is None and totals["avg_latency_ms"] is None


def test_the_last_second_of_the_period_is_in_and_the_next_midnight_is_out(alice):
    make_record(alice, created_at=at("2026-01-31", "23:59:59"), cost_usd="1.00000000")
    make_record(alice, created_at=at("2026-02-01", "00:00:00"), cost_usd="10.00000000")
    make_record(alice, created_at=at("2026-01-01", "00:00:00"), cost_usd="0.10000000")
    make_record(alice, created_at=at("2025-12-31", "23:59:59.999999"), cost_usd="100.00000000")
    totals = _overview(alice)
    assert totals["requests"] == 2
    assert totals["cost_usd"] == Decimal("1.10000000")


def test_a_datetime_period_counts_partial_days_from_the_records(alice):
    make_record(alice, created_at=at("2026-01-05", "09:00:00"), cost_usd="1.00000000", latency_ms=40)
    make_record(alice, created_at=at("2026-01-05", "11:00:00"), cost_usd="2.00000000", latency_ms=50)
    make_record(alice, created_at=at("2026-01-06", "12:00:00"), cost_usd="4.00000000", latency_ms=60)
    make_record(alice, created_at=at("2026-01-07", "08:00:00"), cost_usd="8.00000000", latency_ms=70)
    make_record(alice, created_at=at("2026-01-07", "10:00:00"), cost_usd="16.00000000", latency_ms=80)
    period = (at("2026-01-05", "10:00:00"), at("2026-01-07", "09:00:00"))
    totals = _overview(alice, period)
    assert totals["requests"] == 3
    assert totals["cost_usd"] == Decimal("14.00000000")
    assert totals["p95_latency_ms"] == 70


def test_a_period_inside_one_day(alice):
    make_record(alice, created_at=at("2026-01-05", "09:00:00"), cost_usd="1.00000000")
    make_record(alice, created_at=at("2026-01-05", "10:30:00"), cost_usd="2.00000000")
    totals = _overview(alice, (at("2026-01-05", "10:00:00"), at("2026-01-05", "11:00:00")))
    assert totals["requests"] == 1 and totals["cost_usd"] == Decimal("2.00000000")


def test_a_user_sees_only_their_own_records(alice, bob):
    make_record(alice, created_at=at("2026-01-05"), cost_usd="5.00000000")
    make_record(bob, created_at=at("2026-01-05"), cost_usd="0.25000000")
    assert _overview(bob)["cost_usd"] == Decimal("0.25000000")
    assert _overview(alice)["cost_usd"] == Decimal("5.00000000")


def test_a_user_may_not_ask_for_another_users_numbers(alice, bob):
    with pytest.raises(PermissionDenied):
        _overview(bob, for_user_id=alice.pk)
    assert _overview(bob, for_user_id=bob.pk)["requests"] == 0


def test_staff_see_everyone_or_one_user(alice, bob, staff):
    make_record(alice, created_at=at("2026-01-05"), cost_usd="5.00000000")
    make_record(bob, created_at=at("2026-01-05"), cost_usd="0.25000000")
    assert _overview(staff)["cost_usd"] == Decimal("5.25000000")
    assert _overview(staff, for_user_id=bob.pk)["cost_usd"] == Decimal("0.25000000")


def test_deleted_records_leave_the_totals(alice):
    keep = make_record(alice, created_at=at("2026-01-05"), cost_usd="1.00000000")
    gone = make_record(alice, created_at=at("2026-01-05"), cost_usd="2.00000000")
    gone.delete()
    totals = _overview(alice)
    assert totals["requests"] == 1 and totals["cost_usd"] == keep.cost_usd


def test_many_records_sum_to_the_cent(alice):
    for i in range(300):
        make_record(alice, created_at=at("2026-01-01") + dt.timedelta(hours=i), cost_usd="0.00333333")
    assert _overview(alice)["cost_usd"] == Decimal("0.99999900")


def test_timestamps_are_utc_days(alice):
    tokyo = dt.timezone(dt.timedelta(hours=9))
    make_record(alice, created_at=dt.datetime(2026, 2, 1, 8, 0, tzinfo=tokyo))  # 2026-01-31 23:00 UTC
    assert _overview(alice)["requests"] == 1
    assert selectors.cost_breakdown(
        user=alice, group_by="day", period_from=JAN[0], period_to=JAN[1]
    )[30]["requests"] == 1
