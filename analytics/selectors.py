"""Reads and aggregates of usage records, shared by the analytics API and pages.

Every function takes the caller (`user`) and a half-open period `[period_from, period_to)` of
aware datetimes (analytics/serializers.py turns inclusive `from`/`to` days into that). A user
sees only their own records; staff see everyone's, or one user's with `for_user_id`. Asking for
another user's records without being staff raises PermissionDenied.

Aggregates run in the database, over the trigger-kept daily rollups (analytics/rollups.py;
raw records only for the partial days of a datetime period), so they cost the same at a
thousand or a million records. Money comes back as Decimal (the API prints fixed decimals, see
analytics/serializers.py). Definitions:
- error rate: share of requests with status >= 400;
- cache hit rate: (hit + semantic-hit) / requests;
- saving: sum(baseline_cost_usd - cost_usd) over records where both are known, plus
  sum(saved_by_cache_usd) — what sending everything to the most expensive eligible model
  without a cache would have cost more;
- p50/p95 latency: nearest-rank percentiles (the smallest latency with at least that share of
  requests at or below it), read from a latency histogram: exact below 200 ms, within 2.5%
  (rounded down) up to 100 s — see analytics/percentiles.py.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Func, Q, QuerySet

from analytics.models import UsageRecord
from analytics.rollups import MEASURES, MONEY_MEASURES, grouped_totals, latency_percentiles

ZERO = Decimal(0)
GROUPS = ("model", "provider", "day", "key")
COMMON_STATUSES = ("ok", "2xx", "200")
GROUP_DIMENSION = {"model": "model", "provider": "provider", "day": "day", "key": "key_id"}


def scope_user_id(*, user, for_user_id: int | None) -> int | None:
    """The user id the caller may read: their own, or for staff `for_user_id` (None = everyone)."""
    if user.is_staff:
        return for_user_id
    if for_user_id is not None and for_user_id != user.pk:
        raise PermissionDenied("Only staff can read other users' usage.")
    return user.pk


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def overview(*, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None) -> dict:
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    totals = grouped_totals(user_id=user_id, period_from=period_from, period_to=period_to)[0]
    latency = latency_percentiles(user_id=user_id, period_from=period_from, period_to=period_to,
                                  fractions=(0.5, 0.95))
    return _overview_from(totals, latency.get("", {}))


def _overview_from(t: dict, latency: dict) -> dict:
    n = t["m_requests"]
    return {
        "requests": n,
        "errors": t["m_errors"],
        "error_rate": _share(t["m_errors"], n),
        "cache_hits": t["m_cache_hits"],
        "cache_hit_rate": _share(t["m_cache_hits"], n),
        "unpriced_requests": t["m_unpriced"],
        "cost_usd": t["m_cost"],
        "saving_usd": t["m_baseline_saving"] + t["m_saved_by_cache"],
        "saved_by_routing_usd": t["m_baseline_saving"],
        "saved_by_cache_usd": t["m_saved_by_cache"],
        "prompt_tokens": t["m_prompt_tokens"],
        "completion_tokens": t["m_completion_tokens"],
        "cached_tokens": t["m_cached_tokens"],
        "reasoning_tokens": t["m_reasoning_tokens"],
        "total_tokens": t["m_prompt_tokens"] + t["m_completion_tokens"],
        "avg_latency_ms": round(t["m_latency_total"] / n, 1) if n else None,
        "p50_latency_ms": latency.get(0.5),
        "p95_latency_ms": latency.get(0.95),
    }


def dashboard(*, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None) -> dict:
    """Everything the overview page shows, in three queries: {"overview",
    "cost_per_day", "latency_per_day", "distribution"} shaped as overview(),
    daily_cost_by_provider(), daily_latency() and model_distribution() answer them."""
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    rows = grouped_totals(user_id=user_id, period_from=period_from, period_to=period_to,
                          dims=("day", "provider", "model", "complexity"))
    period = {"user_id": user_id, "period_from": period_from, "period_to": period_to, "fractions": (0.5, 0.95)}
    latency = latency_percentiles(**period).get("", {})
    latency_by_day = latency_percentiles(**period, by_day=True)
    totals = {m: sum((row[m] for row in rows), ZERO if m in MONEY_MEASURES else 0) for m in MEASURES}
    days = period_days(period_from, period_to)
    return {
        "overview": _overview_from(totals, latency),
        "cost_per_day": _cost_per_day(rows, days),
        "latency_per_day": _latency_per_day(latency_by_day, days),
        "distribution": _distribution(rows),
    }


BREAKDOWN_MEASURES = ("m_requests", "m_errors", "m_cost", "m_prompt_tokens", "m_completion_tokens")


def cost_breakdown(
    *, user, group_by: str, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> list[dict]:
    """Rows of {"group", "label", "requests", "errors", "cost_usd", "prompt_tokens",
    "completion_tokens", "total_tokens"}; by cost (highest first), or by day (every day of the
    period, empty days included). A key group is the key id (None: no key)."""
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {GROUPS}")
    dim = GROUP_DIMENSION[group_by]
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    totals = grouped_totals(user_id=user_id, period_from=period_from, period_to=period_to, dims=(dim,),
                            measures=BREAKDOWN_MEASURES)
    rows = [_breakdown_row(t[dim], t) for t in totals if t["m_requests"]]
    if group_by == "key":
        _label_keys(rows)
    if group_by == "day":
        return _every_day(rows, period_from, period_to)
    return sorted(rows, key=lambda row: (-row["cost_usd"], -row["requests"], str(row["group"])))


def _breakdown_row(group, t: dict) -> dict:
    return {
        "group": group,
        "label": group if group not in ("", None) else "(none)",
        "requests": t["m_requests"],
        "errors": t["m_errors"],
        "cost_usd": t["m_cost"],
        "prompt_tokens": t["m_prompt_tokens"],
        "completion_tokens": t["m_completion_tokens"],
        "total_tokens": t["m_prompt_tokens"] + t["m_completion_tokens"],
    }


def _label_keys(rows: list[dict]) -> None:
    from keys.models import GatewayKey

    keys = {k.pk: k for k in GatewayKey.objects.filter(pk__in=[r["group"] for r in rows]).only("name", "prefix", "last4")}
    for row in rows:
        key = keys.get(row["group"])
        row["group"] = row["group"] or None
        row["label"] = f"{key.name} ({key.masked})" if key else ("(no key)" if row["group"] is None else "(deleted key)")


def period_days(period_from: dt.datetime, period_to: dt.datetime) -> list[str]:
    first = period_from.astimezone(dt.timezone.utc).date()
    last = (period_to - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc).date()
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _every_day(rows: list[dict], period_from: dt.datetime, period_to: dt.datetime) -> list[dict]:
    by_day = {row["group"]: row for row in rows}
    empty = {"m_requests": 0, "m_errors": 0, "m_cost": ZERO, "m_prompt_tokens": 0, "m_completion_tokens": 0}
    return [by_day.get(day) or _breakdown_row(day, empty) for day in period_days(period_from, period_to)]


def model_distribution(
    *, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> dict:
    """{"requests", "models": [{"model", "provider", "requests", "share"}],
    "complexities": [{"complexity", "requests", "share"}], "providers": [...]}, most requests first."""
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    rows = grouped_totals(user_id=user_id, period_from=period_from, period_to=period_to,
                          dims=("model", "provider", "complexity"), measures=("m_requests",))
    return _distribution(rows)


def _distribution(rows: list[dict]) -> dict:
    total = sum(row["m_requests"] for row in rows)

    def counted(*fields):
        sums: dict[tuple, int] = {}
        for row in rows:
            key = tuple(row[f] for f in fields)
            sums[key] = sums.get(key, 0) + row["m_requests"]
        ordered = sorted(sums.items(), key=lambda item: (-item[1], item[0]))
        return [{**dict(zip(fields, key)), "requests": n, "share": _share(n, total)} for key, n in ordered if n]

    return {"requests": total, "models": counted("model", "provider"), "complexities": counted("complexity"),
            "providers": counted("provider")}


def daily_cost_by_provider(
    *, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> dict:
    """{"days": [...], "series": {provider: [Decimal per day]}} for the stacked cost chart."""
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    rows = grouped_totals(user_id=user_id, period_from=period_from, period_to=period_to,
                          dims=("day", "provider"), measures=("m_cost",))
    return _cost_per_day(rows, period_days(period_from, period_to))


def _cost_per_day(rows: list[dict], days: list[str]) -> dict:
    index = {day: i for i, day in enumerate(days)}
    series: dict[str, list[Decimal]] = {}
    for row in rows:
        if row["day"] in index and row["m_cost"]:
            series.setdefault(row["provider"] or "(none)", [ZERO] * len(days))[index[row["day"]]] += row["m_cost"]
    return {"days": days, "series": dict(sorted(series.items()))}


def daily_latency(
    *, user, period_from: dt.datetime, period_to: dt.datetime, for_user_id: int | None = None
) -> dict:
    """{"days": [...], "p50": [ms or None per day], "p95": [...]} for the latency chart."""
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    by_day = latency_percentiles(user_id=user_id, period_from=period_from, period_to=period_to,
                                 fractions=(0.5, 0.95), by_day=True)
    return _latency_per_day(by_day, period_days(period_from, period_to))


def _latency_per_day(by_day: dict, days: list[str]) -> dict:
    return {"days": days, "p50": [by_day.get(d, {}).get(0.5) for d in days],
            "p95": [by_day.get(d, {}).get(0.95) for d in days]}


class RequestLog:
    """The request log, newest first: sliceable and counted without scanning records.

    The count comes from the rollups, and so does each day's number of matching records: a
    slice is fetched only from the days that hold it, so a rare filter (say 5xx on expert
    requests) never walks the whole period's index. Django's and DRF's paginators take it as is.
    """

    ordered = True

    def __init__(self, records: QuerySet, per_day: list[tuple[str, int]]):
        self.records = records
        self.per_day = sorted(((day, n) for day, n in per_day if n), reverse=True)
        self._count = sum(n for _, n in self.per_day)

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, item):
        if isinstance(item, int):
            return self[item:item + 1][0]
        start, stop = item.start or 0, self._count if item.stop is None else min(item.stop, self._count)
        if start >= stop:
            return self.records.none()
        newer, in_window, window = 0, 0, []
        for day, n in self.per_day:
            if not window and newer + n <= start:
                newer += n
                continue
            window.append(day)
            in_window += n
            if newer + in_window >= stop:
                break
        first, last = dt.date.fromisoformat(window[-1]), dt.date.fromisoformat(window[0])
        since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.timezone.utc)
        until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
        return self.records.filter(created_at__gte=since, created_at__lt=until)[start - newer:stop - newer]


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
) -> RequestLog:
    """Records newest first, sliceable, with a count(). `status`: a code ("429"), a class
    ("2xx"... "5xx"), "ok" (< 400) or "error" (>= 400)."""
    user_id = scope_user_id(user=user, for_user_id=for_user_id)
    filters = {name: value for name, value in
               (("model", model), ("key_id", key), ("complexity", complexity), ("cache", cache)) if value}
    if status:
        filters["status"] = status_filter(status)
    records = UsageRecord.objects.filter(created_at__gte=period_from, created_at__lt=period_to)
    if user_id is not None:
        records = records.filter(user_id=user_id)
    raw_filters = {("gateway_key_id" if k == "key_id" else k): v for k, v in filters.items() if k != "status"}
    records = records.filter(filters.get("status", Q()), **raw_filters)
    rows = grouped_totals(user_id=user_id, period_from=period_from, period_to=period_to, dims=("day", "status"),
                          measures=("m_requests",), filters=filters)
    per_day: dict[str, int] = {}
    for row in rows:
        per_day[row["day"]] = per_day.get(row["day"], 0) + row["m_requests"]
    newest_first = ["-created_at", "-id"]
    if status and status not in COMMON_STATUSES:
        # Errors are rare: read them through the status index, not by walking every record of
        # the days (SQLite would otherwise pick the created_at index for the ORDER BY).
        records = records.filter(status__in=sorted({row["status"] for row in rows if row["m_requests"]}))
        newest_first = [IndexBlind("created_at").desc(), "-id"]
    ordered = records.select_related("gateway_key").order_by(*newest_first)
    return RequestLog(ordered, sorted(per_day.items()))


class IndexBlind(Func):
    """The column unchanged, but on SQLite hidden from the planner's ORDER BY index choice."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


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
