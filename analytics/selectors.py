"""Reads and aggregates of usage records, shared by the analytics API and pages.

Every function takes the caller (`user`) and a half-open period `[period_from, period_to)` of
aware datetimes (analytics/serializers.py turns inclusive `from`/`to` days into that). A user
sees only their own records; staff see everyone's, or one user's with `for_user_id`. Asking for
another user's records without being staff raises PermissionDenied.

Aggregates run in the database. Money comes back as Decimal (the API prints fixed decimals,
see analytics/serializers.py). Definitions:
- error rate: share of requests with status >= 400;
- cache hit rate: (hit + semantic-hit) / requests;
- saving: sum(baseline_cost_usd - cost_usd) over records where both are known, plus
  sum(saved_by_cache_usd) — what sending everything to the most expensive eligible model
  without a cache would have cost more;
- p50/p95 latency: nearest-rank percentiles (the smallest latency with at least that share of
  requests at or below it), exact: percentile_disc on PostgreSQL, ORDER BY/OFFSET on SQLite.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Count, DecimalField, F, Func, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from analytics.models import UsageRecord
from analytics.percentiles import daily_latency_percentiles, latency_percentile

ZERO = Decimal(0)
MONEY = DecimalField(max_digits=20, decimal_places=8)
GROUPS = ("model", "provider", "day", "key")
CACHE_HITS = ("hit", "semantic-hit")


class UTCDay(Func):
    """The record's UTC day as 'YYYY-MM-DD' (SQLite stores UTC text, so a prefix is the day)."""

    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 10)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="((%(expressions)s AT TIME ZONE 'UTC')::date)::text", **extra
        )


def _money_sum(expression) -> Coalesce:
    return Coalesce(Sum(expression, output_field=MONEY), Value(ZERO), output_field=MONEY)


def _int_sum(field: str) -> Coalesce:
    return Coalesce(Sum(field), 0)


def scope_user_id(*, user, for_user_id: int | None) -> int | None:
    """The user id the caller may read: their own, or for staff `for_user_id` (None = everyone)."""
    if user.is_staff:
        return for_user_id
    if for_user_id is not None and for_user_id != user.pk:
        raise PermissionDenied("Only staff can read other users' usage.")
    return user.pk


def scoped_records(*, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None):
    records = UsageRecord.objects.filter(created_at__gte=period_from, created_at__lt=period_to)
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    return records if user_id is None else records.filter(user_id=user_id)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def overview(*, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None) -> dict:
    records = scoped_records(user=user, period_from=period_from, period_to=period_to, for_user_id=for_user_id)
    both_priced = Q(baseline_cost_usd__isnull=False, cost_usd__isnull=False)
    totals = records.aggregate(
        requests=Count("id"),
        errors=Count("id", filter=Q(status__gte=400)),
        cache_hits=Count("id", filter=Q(cache__in=CACHE_HITS)),
        unpriced=Count("id", filter=Q(is_priced=False)),
        sum_cost_usd=_money_sum("cost_usd"),
        baseline_saving=_money_sum(
            Case(When(both_priced, then=F("baseline_cost_usd") - F("cost_usd")), output_field=MONEY)
        ),
        sum_saved_by_cache_usd=_money_sum("saved_by_cache_usd"),
        sum_prompt_tokens=_int_sum("prompt_tokens"),
        sum_completion_tokens=_int_sum("completion_tokens"),
        sum_cached_tokens=_int_sum("cached_tokens"),
        sum_reasoning_tokens=_int_sum("reasoning_tokens"),
        latency_total=_int_sum("latency_ms"),
    )
    n = totals["requests"]
    return {
        "requests": n,
        "errors": totals["errors"],
        "error_rate": _share(totals["errors"], n),
        "cache_hits": totals["cache_hits"],
        "cache_hit_rate": _share(totals["cache_hits"], n),
        "unpriced_requests": totals["unpriced"],
        "cost_usd": totals["sum_cost_usd"],
        "saving_usd": totals["baseline_saving"] + totals["sum_saved_by_cache_usd"],
        "saved_by_routing_usd": totals["baseline_saving"],
        "saved_by_cache_usd": totals["sum_saved_by_cache_usd"],
        "prompt_tokens": totals["sum_prompt_tokens"],
        "completion_tokens": totals["sum_completion_tokens"],
        "cached_tokens": totals["sum_cached_tokens"],
        "reasoning_tokens": totals["sum_reasoning_tokens"],
        "total_tokens": totals["sum_prompt_tokens"] + totals["sum_completion_tokens"],
        "avg_latency_ms": round(totals["latency_total"] / n, 1) if n else None,
        "p50_latency_ms": latency_percentile(records, 0.50, count=n),
        "p95_latency_ms": latency_percentile(records, 0.95, count=n),
    }


def _group_rows(records: QuerySet, group_field: str) -> QuerySet:
    return records.values(group_field).annotate(
        requests=Count("id"),
        errors=Count("id", filter=Q(status__gte=400)),
        sum_cost_usd=_money_sum("cost_usd"),
        sum_prompt_tokens=_int_sum("prompt_tokens"),
        sum_completion_tokens=_int_sum("completion_tokens"),
    )


def cost_breakdown(
    *, user, group_by: str, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> list[dict]:
    """Rows of {"group", "label", "requests", "errors", "cost_usd", "prompt_tokens",
    "completion_tokens", "total_tokens"}; by cost (highest first), or by day (every day of the
    period, empty days included)."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    records = scoped_records(user=user, period_from=period_from, period_to=period_to, for_user_id=for_user_id)
    if group_by == "day":
        records = records.annotate(day=UTCDay("created_at"))
    field = {"model": "model", "provider": "provider", "day": "day", "key": "gateway_key_id"}[group_by]
    rows = [
        {"group": row[field], "requests": row["requests"], "errors": row["errors"], "cost_usd": row["sum_cost_usd"],
         "prompt_tokens": row["sum_prompt_tokens"], "completion_tokens": row["sum_completion_tokens"]}
        for row in _group_rows(records, field)
    ]
    for row in rows:
        row["total_tokens"] = row["prompt_tokens"] + row["completion_tokens"]
        row["label"] = row["group"] if row["group"] not in ("", None) else "(none)"
    if group_by == "key":
        _label_keys(rows)
    if group_by == "day":
        return _every_day(rows, period_from, period_to)
    return sorted(rows, key=lambda row: (-row["cost_usd"], -row["requests"], str(row["group"])))


def _label_keys(rows: list[dict]) -> None:
    from keys.models import GatewayKey

    ids = [row["group"] for row in rows if row["group"] is not None]
    keys = {k.pk: k for k in GatewayKey.objects.filter(pk__in=ids).only("pk", "name", "prefix", "last4")}
    for row in rows:
        key = keys.get(row["group"])
        row["label"] = f"{key.name} ({key.masked})" if key else "(no key)"


def period_days(period_from: dt.datetime, period_to: dt.datetime) -> list[str]:
    first = period_from.astimezone(dt.timezone.utc).date()
    last = (period_to - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc).date()
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _every_day(rows: list[dict], period_from: dt.datetime, period_to: dt.datetime) -> list[dict]:
    by_day = {row["group"]: row for row in rows}
    empty = {"requests": 0, "errors": 0, "cost_usd": ZERO, "prompt_tokens": 0, "completion_tokens": 0,
             "total_tokens": 0}
    return [by_day.get(day) or {"group": day, "label": day, **empty} for day in period_days(period_from, period_to)]


def model_distribution(
    *, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> dict:
    """{"requests", "models": [{"model", "provider", "requests", "share"}],
    "complexities": [{"complexity", "requests", "share"}], "providers": [...]} by requests."""
    records = scoped_records(user=user, period_from=period_from, period_to=period_to, for_user_id=for_user_id)

    def counted(*fields):
        return list(records.values(*fields).annotate(requests=Count("id")).order_by("-requests", *fields))

    models = counted("model", "provider")
    total = sum(row["requests"] for row in models)
    for rows in (models, complexities := counted("complexity"), providers := counted("provider")):
        for row in rows:
            row["share"] = _share(row["requests"], total)
    return {"requests": total, "models": models, "complexities": complexities, "providers": providers}


def daily_cost_by_provider(
    *, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> dict:
    """{"days": [...], "series": {provider: [Decimal per day]}} for the stacked cost chart."""
    records = scoped_records(user=user, period_from=period_from, period_to=period_to, for_user_id=for_user_id)
    rows = records.annotate(day=UTCDay("created_at")).values("day", "provider").annotate(cost=_money_sum("cost_usd"))
    days = period_days(period_from, period_to)
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, list[Decimal]] = {}
    for row in rows:
        if row["day"] in index and row["cost"]:
            series.setdefault(row["provider"] or "(none)", [ZERO] * len(days))[index[row["day"]]] += row["cost"]
    return {"days": days, "series": dict(sorted(series.items()))}


def daily_latency(
    *, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> dict:
    """{"days": [...], "p50": [ms or None], "p95": [...]} for the latency chart."""
    records = scoped_records(user=user, period_from=period_from, period_to=period_to, for_user_id=for_user_id)
    days = period_days(period_from, period_to)
    by_day = daily_latency_percentiles(records.annotate(day=UTCDay("created_at")), (0.5, 0.95))
    return {
        "days": days,
        "p50": [by_day.get(day, {}).get(0.5) for day in days],
        "p95": [by_day.get(day, {}).get(0.95) for day in days],
    }


def request_log(
    *,
    user,
    period_from: dt.datetime,
    period_to: dt.datetime,
    for_user_id: int | None = None,
    model: str | None = None,
    status: str | None = None,
    key: int | None = None,
    complexity: str | None = None,
    cache: str | None = None,
) -> QuerySet:
    """Records newest first. `status`: an exact code ("429"), a class ("2xx"... "5xx"), "ok"
    (< 400) or "error" (>= 400)."""
    records = scoped_records(user=user, period_from=period_from, period_to=period_to, for_user_id=for_user_id)
    if model:
        records = records.filter(model=model)
    if status:
        records = records.filter(status_filter(status))
    if key is not None:
        records = records.filter(gateway_key_id=key)
    if complexity:
        records = records.filter(complexity=complexity)
    if cache:
        records = records.filter(cache=cache)
    return records.select_related("gateway_key").order_by("-created_at", "-id")


def status_filter(status: str) -> Q:
    if status == "ok":
        return Q(status__lt=400)
    if status == "error":
        return Q(status__gte=400)
    if len(status) == 3 and status.endswith("xx") and status[0].isdigit():
        low = int(status[0]) * 100
        return Q(status__gte=low, status__lt=low + 100)
    return Q(status=int(status))


def request_detail(*, user, request_id: str) -> UsageRecord | None:
    records = UsageRecord.objects.select_related("gateway_key", "user").filter(request_id=request_id)
    if not user.is_staff:
        records = records.filter(user_id=user.pk)
    return records.first()


def filter_choices(*, user, for_user_id: int | None = None) -> dict:
    """What the log can be filtered by: the registry's models and the keys in scope."""
    from gateway.models import LLMModel
    from keys.models import GatewayKey

    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    keys = GatewayKey.objects.all() if user_id is None else GatewayKey.objects.filter(user_id=user_id)
    models = LLMModel.objects.order_by("model_id").values_list("model_id", flat=True)
    return {"models": list(models), "keys": list(keys.only("pk", "name", "prefix", "last4", "revoked_at"))}
