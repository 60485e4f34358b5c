import pytest

from analytics import selectors
from keys.services import gateway_key_create
from tests.analytics.records import at, make_record

pytestmark = pytest.mark.django_db

PERIOD = {"period_from": at("2026-01-01", "00:00:00"), "period_to": at("2026-02-01", "00:00:00")}


def _ids(log):
    return [r.request_id for r in log[:100]]


def test_newest_first_with_a_count(alice):
    old = make_record(alice, created_at=at("2026-01-02"))
    new = make_record(alice, created_at=at("2026-01-03"))
    log = selectors.request_log(user=alice, **PERIOD)
    assert _ids(log) == [new.request_id, old.request_id]
    assert log.count() == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"model": "claude-opus-5-5"}, ["opus"]),
        ({"status": "error"}, ["failed", "limited"]),
        ({"status": "5xx"}, ["failed"]),
        ({"status": "429"}, ["limited"]),
        ({"status": "ok"}, ["opus", "luna"]),
        ({"complexity": "expert"}, ["opus"]),
        ({"cache": "hit"}, ["luna"]),
    ],
)
def test_filters_select_and_count_the_same_records(alice, filters, expected):
    make_record(alice, created_at=at("2026-01-02"), request_id="luna", cache="hit")
    make_record(alice, created_at=at("2026-01-03"), request_id="opus", model="claude-opus-5-5",
                provider="anthropic", complexity="expert")
    make_record(alice, created_at=at("2026-01-04"), request_id="failed", status=503)
    make_record(alice, created_at=at("2026-01-05"), request_id="limited", status=429)
    log = selectors.request_log(user=alice, **PERIOD, **filters)
    assert sorted(_ids(log)) == sorted(expected)
    assert log.count() == len(expected)


def test_key_filter(alice):
    key, _ = gateway_key_create(user=alice, name="ci")
    make_record(alice, created_at=at("2026-01-02"), request_id="with-key", gateway_key=key)
    make_record(alice, created_at=at("2026-01-02"), request_id="without")
    log = selectors.request_log(user=alice, **PERIOD, key=key.pk)
    assert _ids(log) == ["with-key"] and log.count() == 1


def test_count_over_a_datetime_period_includes_partial_days(alice):
    make_record(alice, created_at=at("2026-01-02", "08:00:00"))
    make_record(alice, created_at=at("2026-01-02", "18:00:00"))
    make_record(alice, created_at=at("2026-01-03", "12:00:00"))
    log = selectors.request_log(user=alice, period_from=at("2026-01-02", "12:00:00"),
                                period_to=at("2026-01-04", "00:00:00"))
    assert log.count() == 2 and len(_ids(log)) == 2


def test_others_records_are_not_listed(alice, bob):
    make_record(alice, created_at=at("2026-01-02"))
    log = selectors.request_log(user=bob, **PERIOD)
    assert _ids(log) == [] and log.count() == 0


def test_detail_is_for_its_owner_and_staff(alice, bob, staff):
    record = make_record(alice, created_at=at("2026-01-02"))
    assert selectors.request_detail(user=alice, request_id=record.request_id) == record
    assert selectors.request_detail(user=bob, request_id=record.request_id) is None
    assert selectors.request_detail(user=staff, request_id=record.request_id) == record


@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 7, 50])
def test_every_slice_matches_a_plain_newest_first_listing(alice, page_size):
    for i, day in enumerate((1, 1, 1, 2, 4, 4, 7, 9, 9, 9, 9, 15, 31)):
        make_record(alice, created_at=at(f"2026-01-{day:02d}", f"{10 + i % 5}:00:00"), request_id=f"r{i:02d}",
                    status=500 if i % 3 == 0 else 200)
    for filters in ({}, {"status": "5xx"}):
        log = selectors.request_log(user=alice, **PERIOD, **filters)
        expected = list(log.records.values_list("request_id", flat=True))
        assert log.count() == len(expected)
        pages = [[r.request_id for r in log[i:i + page_size]] for i in range(0, log.count(), page_size)]
        assert sum(pages, []) == expected
        assert log[log.count():log.count() + 5].count() == 0
