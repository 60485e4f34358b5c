"""A key's spend so far this month, from the usage records: the budget counters' starting point
when a worker (or Redis) has none yet."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from gateway.dbthread import run_db


def _month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    year, number = (int(part) for part in month.split("-"))
    start = dt.datetime(year, number, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=dt.timezone.utc)
    return start, end


def month_spend(key_id: int, month: str) -> Decimal:
    from analytics.models import UsageRecord

    start, end = _month_bounds(month)
    total = UsageRecord.objects.filter(gateway_key_id=key_id, created_at__gte=start, created_at__lt=end).aggregate(
        total=Sum("cost_usd")
    )["total"]
    return total or Decimal(0)


async def load_month_spend(key_id: int, month: str) -> Decimal:
    return await run_db(month_spend, key_id, month)
