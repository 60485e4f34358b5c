"""Latency buckets: how latencies are counted for percentiles.

Latencies are counted per bucket (UsageLatencyDaily, kept by triggers; raw records for partial
days use `bucket_expression` in SQL). A bucket is the latency rounded down to its step: exact
below 200 ms, then steps of 5, 10, 20, 50... ms, so no bucket is wider than 2.5% of its value
below 100 s (5% above). A percentile is the nearest-rank one — the smallest bucket whose
cumulative count reaches ceil(q * n) — reported as the bucket's lower bound; the window-function
query lives in analytics/rollups.py. Reading a histogram touches a few hundred rows per day, so it
stays fast at millions of records on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from django.db.models import Case, F, IntegerField, When

# Must match the migration 0003 BUCKET_STEPS: (upper limit, step) pairs, then LAST_STEP.
BUCKET_STEPS = ((200, 1), (500, 5), (1000, 10), (2000, 20), (5000, 50), (10000, 100), (20000, 200),
                (50000, 500), (100000, 1000))
LAST_STEP = 5000


def bucket_of(latency_ms: int) -> int:
    for limit, step in BUCKET_STEPS:
        if latency_ms < limit:
            return latency_ms // step * step
    return latency_ms // LAST_STEP * LAST_STEP


def bucket_expression() -> Case:
    """bucket_of(latency_ms) as a database expression (integer division on both backends)."""
    latency = F("latency_ms")
    return Case(
        *(When(latency_ms__lt=limit, then=latency / step * step) for limit, step in BUCKET_STEPS),
        default=latency / LAST_STEP * LAST_STEP,
        output_field=IntegerField(),
    )
