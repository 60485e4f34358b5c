import pytest

from analytics.models import UsageLatencyDaily, UsageRecord
from analytics.percentiles import bucket_expression, bucket_of
from tests.analytics.records import at, make_record

LATENCIES = [0, 1, 199, 200, 203, 499, 500, 999, 1000, 1019, 1999, 2000, 4999, 9999, 10000, 19999, 49999, 99999,
             100000, 123456]


def test_buckets_are_exact_below_200_ms_and_at_most_2_5_percent_wide_below_100_s():
    assert [bucket_of(ms) for ms in (0, 1, 150, 199)] == [0, 1, 150, 199]
    for ms in range(200, 100_000, 7):
        assert bucket_of(ms) <= ms and (ms - bucket_of(ms)) / ms <= 0.025


@pytest.mark.django_db
def test_the_triggers_and_the_query_bucket_like_python(alice):
    for ms in LATENCIES:
        make_record(alice, created_at=at("2026-01-05"), latency_ms=ms)
    rolled = dict(UsageLatencyDaily.objects.values_list("bucket", "requests"))
    expected: dict[int, int] = {}
    for ms in LATENCIES:
        expected[bucket_of(ms)] = expected.get(bucket_of(ms), 0) + 1
    assert rolled == expected
    queried = UsageRecord.objects.annotate(bucket=bucket_expression()).values_list("latency_ms", "bucket")
    assert all(bucket == bucket_of(ms) for ms, bucket in queried)
