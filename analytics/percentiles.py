"""Latency percentiles computed by the database.

Nearest-rank definition everywhere: the q-percentile of n values is the value at 1-based rank
ceil(q * n) in ascending order. PostgreSQL's percentile_disc computes exactly that. SQLite has no
percentile aggregate, so the single-period value is one ORDER BY latency_ms LIMIT 1 OFFSET k query
(from whichever end is nearer, so the sorter keeps the fewest rows), and the per-day chart
values come from a per-day histogram of latencies rounded down to two significant digits.
"""
from __future__ import annotations

import math

from django.db import connection
from django.db.models import Aggregate, Case, Count, F, IntegerField, QuerySet, When


class PercentileDisc(Aggregate):
    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()

    def __init__(self, expression, fraction: float, **extra):
        if not 0 < fraction <= 1:
            raise ValueError("fraction must be in (0, 1]")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def nearest_rank(count: int, q: float) -> int:
    """1-based rank of the q-quantile among `count` ascending values."""
    return min(count, max(1, math.ceil(q * count - 1e-9)))


def latency_percentile(records: QuerySet, q: float, *, count: int) -> int | None:
    """The q-percentile of latency_ms over `records` (which hold `count` rows); None if empty."""
    if not count:
        return None
    if connection.vendor == "postgresql":
        return records.order_by().aggregate(p=PercentileDisc("latency_ms", q))["p"]
    rank = nearest_rank(count, q)
    if rank > count / 2:
        ordered, offset = records.order_by("-latency_ms"), count - rank
    else:
        ordered, offset = records.order_by("latency_ms"), rank - 1
    return ordered.values_list("latency_ms", flat=True)[offset]


def _two_significant_digits():
    latency = F("latency_ms")
    return Case(
        When(latency_ms__lt=100, then=latency),
        When(latency_ms__lt=1_000, then=latency / 10 * 10),
        When(latency_ms__lt=10_000, then=latency / 100 * 100),
        When(latency_ms__lt=100_000, then=latency / 1_000 * 1_000),
        default=latency / 10_000 * 10_000,
        output_field=IntegerField(),
    )


def daily_latency_percentiles(records: QuerySet, fractions: tuple[float, ...]) -> dict[str, dict[float, int]]:
    """{day: {fraction: latency_ms}} for `records` annotated with `day`."""
    records = records.order_by()
    if connection.vendor == "postgresql":
        names = {f"p{i}": q for i, q in enumerate(fractions)}
        rows = records.values("day").annotate(**{n: PercentileDisc("latency_ms", q) for n, q in names.items()})
        return {row["day"]: {q: row[n] for n, q in names.items()} for row in rows}
    histogram: dict[str, list[tuple[int, int]]] = {}
    rows = records.values("day", bucket=_two_significant_digits()).annotate(n=Count("id")).order_by("day", "bucket")
    for row in rows:
        histogram.setdefault(row["day"], []).append((row["bucket"], row["n"]))
    return {day: _from_histogram(buckets, fractions) for day, buckets in histogram.items()}


def _from_histogram(buckets: list[tuple[int, int]], fractions: tuple[float, ...]) -> dict[float, int]:
    total = sum(n for _, n in buckets)
    result = {}
    for q in fractions:
        rank, seen = nearest_rank(total, q), 0
        for value, n in buckets:
            seen += n
            if seen >= rank:
                result[q] = value
                break
    return result
