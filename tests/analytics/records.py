"""Usage records with known values for the analytics tests."""
import datetime as dt
import itertools
from decimal import Decimal

from analytics.models import UsageRecord

_ids = itertools.count(1)
UTC = dt.timezone.utc


def at(day: str, time: str = "12:00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=UTC)


def make_record(user, *, created_at: dt.datetime, **fields) -> UsageRecord:
    defaults = {
        "request_id": f"req-{next(_ids):08d}",
        "model": "gpt-6-luna",
        "provider": "openai",
        "complexity": "simple",
        "prompt_tokens": 100,
        "completion_tokens": 50,
        "cost_usd": Decimal("0.01000000"),
        "baseline_cost_usd": None,
        "latency_ms": 100,
        "cache": "miss",
        "status": 200,
    }
    for money in ("cost_usd", "baseline_cost_usd", "saved_by_cache_usd"):
        if isinstance(fields.get(money), str):
            fields[money] = Decimal(fields[money])
    return UsageRecord.objects.create(user=user, created_at=created_at, **{**defaults, **fields})
