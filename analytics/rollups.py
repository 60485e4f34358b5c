"""Grouped usage totals for a period: whole UTC days from the trigger-kept rollups, the partial
days at either end (datetime periods) from raw records, merged.

Both sources produce the same rows — the requested dimensions plus `m_*` measures — so callers
never know which one answered. Dimensions: day ('YYYY-MM-DD'), user_id, key_id (0 = no key),
model, provider, complexity, cache, status.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, CharField, Count, DecimalField, F, Func, Q, Sum, When
from django.db.models.functions import Coalesce

from analytics.models import UsageDaily, UsageLatencyDaily, UsageRecord
from analytics.percentiles import bucket_expression

CACHE_HITS = ("hit", "semantic-hit")
MONEY = DecimalField(max_digits=20, decimal_places=8)
MONEY_MEASURES = ("m_cost", "m_baseline_saving", "m_saved_by_cache")
DIMENSIONS = ("day", "user_id", "key_id", "model", "provider", "complexity", "cache", "status")


class UTCDay(Func):
    """A timestamp's UTC day as 'YYYY-MM-DD' (SQLite stores UTC text, so it is the prefix)."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 10)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s AT TIME ZONE 'UTC')::date)::text", **extra)


def _rollup_measures() -> dict:
    return {
        "m_requests": Sum("requests"),
        "m_errors": Sum("requests", filter=Q(status__gte=400)),
        "m_cache_hits": Sum("requests", filter=Q(cache__in=CACHE_HITS)),
        "m_unpriced": Sum("unpriced"),
        "m_cost": Sum("cost_usd"),
        "m_baseline_saving": Sum("baseline_saving_usd"),
        "m_saved_by_cache": Sum("saved_by_cache_usd"),
        "m_prompt_tokens": Sum("prompt_tokens"),
        "m_completion_tokens": Sum("completion_tokens"),
        "m_cached_tokens": Sum("cached_tokens"),
        "m_reasoning_tokens": Sum("reasoning_tokens"),
        "m_latency_total": Sum("latency_ms_total"),
    }


def _raw_measures() -> dict:
    both_priced = Q(baseline_cost_usd__isnull=False, cost_usd__isnull=False)
    return {
        "m_requests": Count("id"),
        "m_errors": Count("id", filter=Q(status__gte=400)),
        "m_cache_hits": Count("id", filter=Q(cache__in=CACHE_HITS)),
        "m_unpriced": Count("id", filter=Q(is_priced=False)),
        "m_cost": Sum("cost_usd", output_field=MONEY),
        "m_baseline_saving": Sum(
            Case(When(both_priced, then=F("baseline_cost_usd") - F("cost_usd")), output_field=MONEY)
        ),
        "m_saved_by_cache": Sum("saved_by_cache_usd", output_field=MONEY),
        "m_prompt_tokens": Sum("prompt_tokens"),
        "m_completion_tokens": Sum("completion_tokens"),
        "m_cached_tokens": Sum("cached_tokens"),
        "m_reasoning_tokens": Sum("reasoning_tokens"),
        "m_latency_total": Sum("latency_ms"),
    }


MEASURES = tuple(_rollup_measures())


@dataclass(frozen=True)
class DaySplit:
    """[period_from, period_to) as whole UTC days [first_day, end_day) plus partial edges."""

    first_day: dt.date | None
    end_day: dt.date | None
    edges: tuple[tuple[dt.datetime, dt.datetime], ...]

    @classmethod
    def of(cls, period_from: dt.datetime, period_to: dt.datetime) -> "DaySplit":
        start, end = period_from.astimezone(dt.timezone.utc), period_to.astimezone(dt.timezone.utc)
        first_midnight = dt.datetime.combine(start.date(), dt.time.min, tzinfo=dt.timezone.utc)
        if first_midnight < start:
            first_midnight += dt.timedelta(days=1)
        last_midnight = dt.datetime.combine(end.date(), dt.time.min, tzinfo=dt.timezone.utc)
        if first_midnight >= last_midnight:
            return cls(None, None, ((start, end),) if start < end else ())
        edges = tuple(edge for edge in ((start, first_midnight), (last_midnight, end)) if edge[0] < edge[1])
        return cls(first_midnight.date(), last_midnight.date(), edges)

    def edge_filter(self) -> Q | None:
        if not self.edges:
            return None
        q = Q()
        for start, end in self.edges:
            q |= Q(created_at__gte=start, created_at__lt=end)
        return q


def _rollup_rows(model, split: DaySplit, user_id: int | None):
    rows = model.objects.filter(day__gte=split.first_day, day__lt=split.end_day)
    return rows if user_id is None else rows.filter(user_id=user_id)


def _raw_rows(split: DaySplit, user_id: int | None):
    rows = UsageRecord.objects.filter(split.edge_filter()).order_by()
    rows = rows if user_id is None else rows.filter(user_id=user_id)
    return rows.annotate(day=UTCDay("created_at"), key_id=Coalesce("gateway_key_id", 0))


def _filter(rows, filters: dict | None):
    for name, value in (filters or {}).items():
        rows = rows.filter(value) if isinstance(value, Q) else rows.filter(**{name: value})
    return rows


def grouped_totals(
    *,
    user_id: int | None,
    period_from: dt.datetime,
    period_to: dt.datetime,
    dims: tuple[str, ...] = (),
    measures: tuple[str, ...] = MEASURES,
    filters: dict | None = None,
) -> list[dict]:
    """One dict per combination of `dims` with the `measures` summed (None sums become 0).

    `filters`: dimension name -> value, or any name -> Q over the dimensions (e.g. status).
    `user_id` None means every user."""
    unknown = set(dims) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"unknown dimensions {sorted(unknown)}")
    split = DaySplit.of(period_from, period_to)
    sources = []
    if split.first_day is not None:
        rollup = _rollup_measures()
        sources.append(_filter(_rollup_rows(UsageDaily, split, user_id), filters).values(*dims)
                       .annotate(**{m: rollup[m] for m in measures}).order_by())
    if split.edges:
        raw = _raw_measures()
        sources.append(_filter(_raw_rows(split, user_id), filters).values(*dims)
                       .annotate(**{m: raw[m] for m in measures}).order_by())
    merged: dict[tuple, dict] = {}
    for source in sources:
        for row in source:
            key = tuple(str(row[d]) if d == "day" else row[d] for d in dims)
            target = merged.setdefault(key, {**dict(zip(dims, key)), **{m: _zero(m) for m in measures}})
            for m in measures:
                target[m] += row[m] or 0
    if not dims and not merged:
        merged[()] = {m: _zero(m) for m in measures}
    return list(merged.values())


def _zero(measure: str):
    return Decimal(0) if measure in MONEY_MEASURES else 0


def latency_histogram(
    *, user_id: int | None, period_from: dt.datetime, period_to: dt.datetime, by_day: bool = False
) -> dict[str | None, list[tuple[int, int]]]:
    """{day or None: [(bucket, count), ...]}: latency bucket counts for the period."""
    split = DaySplit.of(period_from, period_to)
    dims = ("day", "bucket") if by_day else ("bucket",)
    sources = []
    if split.first_day is not None:
        sources.append(_rollup_rows(UsageLatencyDaily, split, user_id).values(*dims)
                       .annotate(n=Sum("requests")).order_by())
    if split.edges:
        sources.append(_raw_rows(split, user_id).annotate(bucket=bucket_expression()).values(*dims)
                       .annotate(n=Count("id")).order_by())
    counts: dict[tuple, int] = {}
    for source in sources:
        for row in source:
            key = (str(row["day"]) if by_day else None, row["bucket"])
            counts[key] = counts.get(key, 0) + row["n"]
    histogram: dict[str | None, list[tuple[int, int]]] = {}
    for (day, bucket), n in counts.items():
        histogram.setdefault(day, []).append((bucket, n))
    return histogram
