"""The usage writer: rows built from a finished request context and inserted by raw INSERTs read
back through the ORM exactly as the context said, and the rollup triggers still count them."""
import datetime as dt
import logging
import time
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from analytics.models import UsageDaily, UsageLatencyDaily, UsageRecord
from analytics.recorder import UsageRecorder
from analytics.services import UsageRow, usage_record_build, usage_records_write
from gateway.context import RequestContext
from gateway.principal import GatewayPrincipal
from gateway.providers.base import Usage
from keys.services import gateway_key_create

CHAT_BODY = {"model": "auto", "messages": [{"role": "user", "content": "Say hi"}]}
ANSWER_BODY = {"id": "chatcmpl-1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}]}


def finished_context(user, key=None, **fields) -> RequestContext:
    principal = GatewayPrincipal(key.id if key else None, user.id, "digest", 60, 60, None, None)
    ctx = RequestContext(principal=principal, requested_model="auto", body=dict(CHAT_BODY))
    ctx.started = time.perf_counter() - 2.0
    ctx.first_byte_at = ctx.started + 0.25
    ctx.upstream_seconds = 1.5
    ctx.complexity, ctx.model_id, ctx.provider = "simple", "gpt-6-luna", "openai"
    ctx.usage = Usage(prompt_tokens=120, completion_tokens=45, cached_tokens=20, reasoning_tokens=7)
    ctx.cost_usd = Decimal("0.0012")
    ctx.baseline_cost_usd = Decimal("0.00456789")
    ctx.saved_by_cache_usd = Decimal("0.5")
    ctx.fallbacks = 1
    ctx.response_body = dict(ANSWER_BODY)
    for name, value in fields.items():
        setattr(ctx, name, value)
    return ctx


@pytest.fixture
def alice_key(alice):
    key, _ = gateway_key_create(user=alice, name="app")
    return key


def test_row_lists_the_model_fields_in_order():
    fields = [f.attname for f in UsageRecord._meta.concrete_fields if not f.primary_key]
    assert list(UsageRow._fields) == fields


def test_a_written_record_reads_back_as_the_context_said(alice, alice_key):
    ctx = finished_context(alice, alice_key, requested_model="m" * 120, stream=True, error_code="e" * 60)
    row = usage_record_build(ctx)

    assert usage_records_write([row]) == 1

    stored = UsageRecord.objects.get()
    assert stored.request_id == ctx.request_id
    assert stored.created_at == row.created_at
    assert stored.created_at.utcoffset() == dt.timedelta(0)
    assert (stored.user_id, stored.gateway_key_id) == (alice.id, alice_key.id)
    assert stored.requested_model == "m" * 100
    assert (stored.model, stored.provider, stored.complexity) == ("gpt-6-luna", "openai", "simple")
    assert stored.stream is True
    assert (stored.prompt_tokens, stored.completion_tokens, stored.cached_tokens, stored.reasoning_tokens) == (
        120, 45, 20, 7)
    assert str(stored.cost_usd) == "0.00120000"
    assert stored.is_priced is True
    assert str(stored.baseline_cost_usd) == "0.00456789"
    assert str(stored.saved_by_cache_usd) == "0.50000000"
    assert stored.latency_ms == row.latency_ms >= 2000
    assert stored.ttft_ms == int((ctx.first_byte_at - ctx.started) * 1000)
    assert stored.overhead_ms == row.overhead_ms >= 500
    assert stored.cache == "miss"
    assert stored.fallbacks == 1
    assert stored.status == 200
    assert stored.error_code == "e" * 50
    assert stored.request_body is None and stored.response_body is None
    # Stored in the form the ORM's own lookups compare against (the analytics selectors rely on it).
    assert UsageRecord.objects.filter(created_at=row.created_at, cost_usd=Decimal("0.0012")).exists()
    assert UsageRecord.objects.filter(created_at__date=row.created_at.date()).exists()


def test_an_unpriced_record_has_no_costs(alice):
    ctx = finished_context(alice, cost_usd=None, baseline_cost_usd=None, saved_by_cache_usd=None,
                           first_byte_at=None, status=502, error_code="upstream_error")

    usage_records_write([usage_record_build(ctx)])

    stored = UsageRecord.objects.get()
    assert (stored.cost_usd, stored.baseline_cost_usd, stored.saved_by_cache_usd) == (None, None, None)
    assert stored.is_priced is False
    assert stored.gateway_key_id is None and stored.ttft_ms is None
    assert (stored.status, stored.error_code) == (502, "upstream_error")


def test_bodies_are_stored_when_store_bodies_is_on(alice, settings):
    settings.STORE_BODIES = True
    asked = finished_context(alice)
    empty = finished_context(alice, body={}, response_body=None)

    usage_records_write([usage_record_build(asked), usage_record_build(empty)])

    stored = UsageRecord.objects.get(request_id=asked.request_id)
    assert stored.request_body == CHAT_BODY
    assert stored.response_body == ANSWER_BODY
    assert UsageRecord.objects.filter(request_id=empty.request_id, request_body__isnull=True,
                                      response_body__isnull=True).exists()


def test_a_duplicate_request_id_is_ignored(alice):
    first = finished_context(alice)
    usage_records_write([usage_record_build(first)])
    again = usage_record_build(finished_context(alice, request_id=first.request_id, model_id="other-model"))
    other = usage_record_build(finished_context(alice))

    assert usage_records_write([again, other]) == 2

    assert UsageRecord.objects.count() == 2
    assert UsageRecord.objects.get(request_id=first.request_id).model == "gpt-6-luna"


def test_a_write_marks_its_key_as_used(alice, alice_key):
    usage_records_write([usage_record_build(finished_context(alice, alice_key))])

    alice_key.refresh_from_db()
    assert alice_key.last_used_at is not None


def test_rollups_add_up_after_a_batch(alice, bob, alice_key):
    contexts = [
        finished_context(alice, alice_key),
        finished_context(alice, alice_key, cost_usd=Decimal("0.25"), usage=Usage(prompt_tokens=1000)),
        finished_context(alice, cost_usd=None, model_id="unpriced-model"),
        finished_context(bob, cache="hit", cost_usd=Decimal("0"), baseline_cost_usd=None),
    ]

    usage_records_write([usage_record_build(ctx) for ctx in contexts])

    records = UsageRecord.objects.aggregate(
        requests=Count("id"), cost_usd=Sum("cost_usd"), prompt_tokens=Sum("prompt_tokens"),
        latency_ms_total=Sum("latency_ms"), saved_by_cache_usd=Sum("saved_by_cache_usd"))
    daily = UsageDaily.objects.aggregate(
        requests=Sum("requests"), cost_usd=Sum("cost_usd"), prompt_tokens=Sum("prompt_tokens"),
        latency_ms_total=Sum("latency_ms_total"), saved_by_cache_usd=Sum("saved_by_cache_usd"))
    assert daily == records
    assert UsageDaily.objects.aggregate(unpriced=Sum("unpriced"))["unpriced"] == 1
    assert UsageDaily.objects.filter(user_id=alice.id, key_id=alice_key.id).get().requests == 2
    assert UsageLatencyDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 4


@pytest.mark.django_db(transaction=True)  # the user's foreign key is checked when the batch commits
def test_a_record_whose_user_was_deleted_is_dropped_and_the_rest_of_its_batch_stored(alice, bob, caplog):
    alices = [usage_record_build(finished_context(alice)) for _ in range(2)]
    bobs = usage_record_build(finished_context(bob))
    bob.delete()
    batches = []

    def write(batch):
        batches.append(len(batch))
        return usage_records_write(batch)

    with caplog.at_level(logging.ERROR, logger="analytics.recorder"):
        UsageRecorder()._write(write, [alices[0], bobs, alices[1]])

    assert batches == [3, 1, 1, 1]
    assert set(UsageRecord.objects.values_list("request_id", flat=True)) == {r.request_id for r in alices}
    assert f"usage record {bobs.request_id} refers to a deleted user or key; not stored" in caplog.messages
    # the failed batch rolled back whole: its rows are counted once, by the one-by-one retries
    assert UsageDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 2
    assert UsageLatencyDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 2


def _rollup_totals() -> dict:
    return {
        "daily": sorted(UsageDaily.objects.values_list(
            "user_id", "day", "key_id", "model", "cache", "status", "requests", "unpriced", "cost_usd",
            "baseline_saving_usd", "saved_by_cache_usd", "prompt_tokens", "completion_tokens", "latency_ms_total")),
        "latency": sorted(UsageLatencyDaily.objects.values_list("user_id", "day", "bucket", "requests")),
    }


def _varied_contexts(alice, bob, key) -> list[RequestContext]:
    return [
        finished_context(alice, key, cost_usd=Decimal("0.12345678"), baseline_cost_usd=Decimal("0.5")),
        finished_context(alice, key, cost_usd=Decimal("0.00000001"), usage=Usage(prompt_tokens=7, completion_tokens=3)),
        finished_context(alice, cost_usd=None, model_id="unpriced-model", started=time.perf_counter() - 7.3),
        finished_context(bob, cache="hit", cost_usd=Decimal("0"), saved_by_cache_usd=Decimal("0.3")),
        finished_context(bob, status=502, error_code="stream_interrupted", started=time.perf_counter() - 30.0),
    ]


def test_a_batch_rolls_up_exactly_as_rows_inserted_one_by_one_through_the_trigger(alice, bob, alice_key):
    rows = [usage_record_build(ctx) for ctx in _varied_contexts(alice, bob, alice_key)]
    for row in rows:  # through the ORM: the row trigger counts each
        UsageRecord.objects.create(**row._asdict())
    by_trigger = _rollup_totals()
    UsageRecord.objects.all().delete()
    assert _rollup_totals() == {"daily": [], "latency": []}

    usage_records_write(rows)

    assert _rollup_totals() == by_trigger


def test_a_batch_with_stored_and_repeated_request_ids_counts_each_record_once(alice, bob, alice_key):
    first, second, *rest = [usage_record_build(ctx) for ctx in _varied_contexts(alice, bob, alice_key)]
    usage_records_write([first])

    usage_records_write([first, second, second, *rest])

    assert UsageRecord.objects.count() == 5
    assert UsageDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 5
    assert UsageLatencyDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 5


def test_inserts_after_a_batch_are_counted_by_the_trigger_again(alice):
    usage_records_write([usage_record_build(finished_context(alice))])

    UsageRecord.objects.create(**usage_record_build(finished_context(alice))._asdict())

    assert UsageDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 2


def test_no_deferral_of_the_rollups_outlives_a_batch(alice):
    from django.db import connection

    usage_records_write([usage_record_build(finished_context(alice))])

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM analytics_rollup_deferral")
            assert cursor.fetchone()[0] == 0
    UsageRecord.objects.create(**usage_record_build(finished_context(alice))._asdict())
    assert UsageDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 2


def test_a_large_batch_is_stored_and_counted_whole(alice):
    rows = [usage_record_build(finished_context(alice)) for _ in range(123)]

    usage_records_write(rows)

    assert UsageRecord.objects.count() == 123
    assert UsageDaily.objects.aggregate(requests=Sum("requests"))["requests"] == 123
