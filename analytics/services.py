"""Writes of usage records: built once per request, written in batches by the recorder.

A record travels as a `UsageRow` (a named tuple of column values), not as a model instance, and a
batch goes in through prepared SQL: building model instances and letting bulk_create compile every
field of every row cost a busy gateway worker about a fifth of its CPU. PostgreSQL takes a batch as
one INSERT ... SELECT FROM unnest, so its statement-level rollup trigger (migration 0003) runs once
per batch; SQLite stages it and rolls it up in one grouped upsert (analytics/sqlite_rollups.py)
instead of a trigger run per row. Those are the two databases migration 0003 supports.
"""
from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any, Callable, Iterable, NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from analytics import sqlite_rollups
from analytics.models import UsageRecord

LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# Column types whose Python values both sqlite3 and psycopg store as they are.
STORED_AS_IS = (models.CharField, models.BooleanField, models.IntegerField, models.FloatField, models.ForeignKey)


class UsageRow(NamedTuple):
    """The values of one UsageRecord, in the model's field order (attnames, without the id)."""

    request_id: str
    created_at: dt.datetime
    user_id: int
    gateway_key_id: int | None
    requested_model: str
    model: str
    provider: str
    complexity: str
    stream: bool
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    cost_usd: Decimal | None
    is_priced: bool
    baseline_cost_usd: Decimal | None
    saved_by_cache_usd: Decimal | None
    latency_ms: int
    ttft_ms: int | None
    overhead_ms: float
    cache: str
    fallbacks: int
    status: int
    error_code: str
    request_body: dict[str, Any] | None
    response_body: dict[str, Any] | None


def usage_record_build(ctx) -> UsageRow:
    """The usage row of a finished gateway.context.RequestContext."""
    usage = ctx.usage
    store_bodies = settings.STORE_BODIES
    # Positional, in UsageRow's order: keyword arguments would cost a NamedTuple another ~1.5 µs.
    return UsageRow(
        ctx.request_id,
        timezone.now(),  # created_at
        ctx.principal.user_id,
        ctx.principal.key_id,
        ctx.requested_model[:100],
        ctx.model_id,
        ctx.provider,
        ctx.complexity,
        ctx.stream,
        usage.prompt_tokens,
        usage.completion_tokens,
        usage.cached_tokens,
        usage.reasoning_tokens,
        ctx.cost_usd,
        ctx.cost_usd is not None,  # is_priced
        ctx.baseline_cost_usd,
        ctx.saved_by_cache_usd,
        int(ctx.elapsed_ms()),  # latency_ms
        int((ctx.first_byte_at - ctx.started) * 1000) if ctx.first_byte_at else None,  # ttft_ms
        round(ctx.overhead_ms(), 3),
        ctx.cache,
        ctx.fallbacks,
        ctx.status,
        ctx.error_code[:50],
        (ctx.body or None) if store_bodies else None,  # request_body
        ctx.response_body if store_bodies else None,
    )


def usage_records_write(records: Iterable[UsageRow]) -> int:
    """Insert a batch in one transaction (a request id already stored is skipped) and mark the keys
    it used as used. Returns how many rows were handed in."""
    records = list(records)
    if not records:
        return 0
    from keys.models import GatewayKey

    connection = connections[DEFAULT_DB_ALIAS]
    rows = _rows_adapted(records, connection)
    now = timezone.now()
    key_ids = {r.gateway_key_id for r in records if r.gateway_key_id}
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement, so the statement-level rollup trigger runs once per batch, not per row.
                cursor.execute(_postgres_insert_sql(connection), [list(column) for column in zip(*rows)])
            else:
                sqlite_rollups.insert_batch(connection, cursor, UsageRecord._meta.db_table, _columns(connection), rows)
        if key_ids:
            GatewayKey.objects.filter(id__in=key_ids).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
                last_used_at=now
            )
    return len(records)


def _rows_adapted(records: list[UsageRow], connection) -> list[list[Any]]:
    adapters = _column_adapters()
    rows = []
    for record in records:
        row = list(record)
        for index, adapt in adapters:
            value = row[index]
            if value is not None:
                row[index] = adapt(value, connection)
        rows.append(row)
    return rows


@functools.cache
def _row_fields() -> tuple[models.Field, ...]:
    fields = tuple(f for f in UsageRecord._meta.concrete_fields if not f.primary_key)
    if tuple(f.attname for f in fields) != UsageRow._fields:
        raise ImproperlyConfigured("analytics.services.UsageRow must list UsageRecord's fields in the model's order")
    return fields


@functools.cache
def _column_adapters() -> tuple[tuple[int, Callable[[Any, Any], Any]], ...]:
    """(index, adapt(value, connection)) for the columns the driver cannot take as they are: the
    adaptations bulk_create's field.get_db_prep_save would make, and no others."""
    adapters = []
    for index, field in enumerate(_row_fields()):
        if isinstance(field, models.JSONField):
            adapters.append((index, field.get_db_prep_save))
        elif isinstance(field, models.DecimalField):
            adapters.append((index, functools.partial(_decimal_adapted, max_digits=field.max_digits,
                                                      decimal_places=field.decimal_places)))
        elif isinstance(field, models.DateTimeField):
            adapters.append((index, _datetime_adapted))
        elif not isinstance(field, STORED_AS_IS):
            raise ImproperlyConfigured(f"usage_records_write cannot store UsageRecord.{field.name} yet")
    return tuple(adapters)


def _decimal_adapted(value: Decimal, connection, *, max_digits: int, decimal_places: int) -> Any:
    return connection.ops.adapt_decimalfield_value(value, max_digits, decimal_places)


def _datetime_adapted(value: dt.datetime, connection) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


_postgres_sql: str | None = None  # built once: it depends only on the model and the vendor


def _postgres_insert_sql(connection) -> str:
    global _postgres_sql
    if _postgres_sql is None:
        quote = connection.ops.quote_name
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in _row_fields())
        _postgres_sql = (
            f"INSERT INTO {quote(UsageRecord._meta.db_table)} ({_columns(connection)}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT ({quote(UsageRecord._meta.get_field('request_id').column)}) DO NOTHING"
        )
    return _postgres_sql


def _columns(connection) -> str:
    return ", ".join(connection.ops.quote_name(f.column) for f in _row_fields())
