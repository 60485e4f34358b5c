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

from django.db import connection
from django.db.models import Case, CharField, Count, DecimalField, F, Func, Q, Sum, Value, When
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


class DayText(Func):
    """A DateField as 'YYYY-MM-DD' text (SQLite already stores it so; a cast would lose index order)."""

    template = "%(expressions)s"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)::text", **extra)


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


def _raw_rows(split: DaySplit, user_id: int | None, *, by_day: bool = True):
    rows = UsageRecord.objects.filter(split.edge_filter()).order_by()
    rows = rows if user_id is None else rows.filter(user_id=user_id)
    rows = rows.annotate(key_id=Coalesce("gateway_key_id", 0))
    return rows.annotate(day=UTCDay("created_at")) if by_day else rows


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
        sources.append(_grouped(_filter(_rollup_rows(UsageDaily, split, user_id), filters), dims,
                                {m: rollup[m] for m in measures}))
    if split.edges:
        raw = _raw_measures()
        sources.append(_grouped(_filter(_raw_rows(split, user_id), filters), dims, {m: raw[m] for m in measures}))
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


def _grouped(rows, dims: tuple[str, ...], measures: dict):
    if not dims:  # .values() without fields would group by every column
        return [rows.aggregate(**measures)]
    return rows.values(*dims).annotate(**measures).order_by()


def _zero(measure: str):
    return Decimal(0) if measure in MONEY_MEASURES else 0


def _histogram_sql(split: DaySplit, user_id: int | None, by_day: bool) -> tuple[str, list]:
    """SQL of (day, bucket, n) rows from the rollup and the raw edges, and its parameters."""
    parts, params = [], []
    if split.first_day is not None:
        rows = _rollup_rows(UsageLatencyDaily, split, user_id)
        day = DayText("day") if by_day else Value("", output_field=CharField())
        rows = rows.annotate(day_text=day).values("day_text", "bucket").annotate(n=Sum("requests"))
        sql, p = rows.values_list("day_text", "bucket", "n").order_by().query.sql_with_params()
        parts.append(sql)
        params += p
    if split.edges:
        rows = _raw_rows(split, user_id, by_day=False).annotate(bucket=bucket_expression())
        day = UTCDay("created_at") if by_day else Value("", output_field=CharField())
        rows = rows.annotate(day_text=day).values("day_text", "bucket").annotate(n=Count("id"))
        sql, p = rows.values_list("day_text", "bucket", "n").order_by().query.sql_with_params()
        parts.append(sql)
        params += p
    return " UNION ALL ".join(f"SELECT * FROM ({part}) AS part{i}" for i, part in enumerate(parts)), params


def latency_percentiles(
    *, user_id: int | None, period_from: dt.datetime, period_to: dt.datetime, fractions: tuple[float, ...],
    by_day: bool = False,
) -> dict[str, dict[float, int]]:
    """{day: {q: latency bucket}}, or {'': {...}} for the whole period unless `by_day`: nearest
    rank, computed in the database with window functions over the latency histogram (see
    analytics/percentiles.py)."""
    for q in fractions:
        if not 0 < q <= 1:
            raise ValueError("fractions must be in (0, 1]")
    split = DaySplit.of(period_from, period_to)
    histogram, params = _histogram_sql(split, user_id, by_day)
    if not histogram:
        return {}
    picks = ", ".join(
        f"MIN(CASE WHEN cum * 10000 >= total * {round(q * 10000)} THEN bucket END) AS p{i}" for i, q in enumerate(fractions)
    )
    # With raw edges the two sources may share a (day, bucket): add them up first.
    grouped = "(SELECT day, bucket, SUM(n) AS n FROM h GROUP BY day, bucket)" if " UNION ALL " in histogram else "h"
    sql = (
        f"WITH h (day, bucket, n) AS ({histogram}), "
        "c AS (SELECT day, bucket, SUM(n) OVER w AS cum, SUM(n) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND "
        f"UNBOUNDED FOLLOWING) AS total FROM {grouped} AS g WINDOW w AS (PARTITION BY day ORDER BY bucket)) "
        f"SELECT day, {picks} FROM c GROUP BY day"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {str(row[0]): {q: row[i + 1] for i, q in enumerate(fractions)} for row in rows}
