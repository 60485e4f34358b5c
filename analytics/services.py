"""Writes of usage records: built once per request, written in batches by the recorder."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from analytics.models import UsageRecord

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def usage_record_build(ctx) -> UsageRecord:
    """An unsaved UsageRecord from a finished gateway.context.RequestContext."""
    record = UsageRecord(
        request_id=ctx.request_id,
        created_at=timezone.now(),
        user_id=ctx.principal.user_id,
        gateway_key_id=ctx.principal.key_id,
        requested_model=ctx.requested_model[:100],
        model=ctx.model_id,
        provider=ctx.provider,
        complexity=ctx.complexity,
        stream=ctx.stream,
        prompt_tokens=ctx.usage.prompt_tokens,
        completion_tokens=ctx.usage.completion_tokens,
        cached_tokens=ctx.usage.cached_tokens,
        reasoning_tokens=ctx.usage.reasoning_tokens,
        cost_usd=ctx.cost_usd,
        is_priced=ctx.cost_usd is not None,
        baseline_cost_usd=ctx.baseline_cost_usd,
        saved_by_cache_usd=ctx.saved_by_cache_usd,
        latency_ms=int(ctx.elapsed_ms()),
        ttft_ms=int((ctx.first_byte_at - ctx.started) * 1000) if ctx.first_byte_at else None,
        overhead_ms=round(ctx.overhead_ms(), 3),
        cache=ctx.cache,
        fallbacks=ctx.fallbacks,
        status=ctx.status,
        error_code=ctx.error_code[:50],
    )
    if settings.STORE_BODIES:
        record.request_body = ctx.body or None
        record.response_body = ctx.response_body
    return record


def usage_records_write(records: Iterable[UsageRecord]) -> int:
    """Insert a batch in one transaction and mark the keys it used as used."""
    records = list(records)
    if not records:
        return 0
    from keys.models import GatewayKey

    now = timezone.now()
    key_ids = {r.gateway_key_id for r in records if r.gateway_key_id}
    with transaction.atomic():
        UsageRecord.objects.bulk_create(records, ignore_conflicts=True)
        if key_ids:
            GatewayKey.objects.filter(id__in=key_ids).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
                last_used_at=now
            )
    return len(records)
