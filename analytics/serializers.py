"""Query-parameter and output serializers of the analytics API (the pages parse with them too).

Periods: `from` and `to` are ISO dates (whole UTC days, both included) or ISO datetimes (a
naive one is UTC; `to` is then included up to that instant). Default: the last 30 days, today
included. A period may span at most MAX_PERIOD_DAYS days.

Money: totals are strings with 6 decimal places (micro-dollars, rounded half up), e.g.
"12.345678", so a client never meets a binary float; a single record's money is the stored
value with 8 decimal places. An unpriced record's cost is null.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP

from django.utils import timezone
from rest_framework import serializers

from analytics.models import UsageRecord
from analytics.selectors import GROUPS

MAX_PERIOD_DAYS = 731
DEFAULT_PERIOD_DAYS = 30
COMPLEXITIES = ("simple", "moderate", "complex", "expert")
STATUS_PATTERN = re.compile(r"^(ok|error|[1-5]xx|[1-5][0-9][0-9])$")


class PeriodBoundField(serializers.Field):
    """An ISO date or datetime; parsed to a date or an aware (UTC) datetime."""

    default_error_messages = {"invalid": "Use an ISO date (2025-01-31) or datetime (2025-01-31T12:00:00Z)."}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not 10 <= len(value.strip()) <= 40:
            self.fail("invalid")
        value = value.strip()
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.fail("invalid")
        return moment.replace(tzinfo=dt.timezone.utc) if timezone.is_naive(moment) else moment

    def to_representation(self, value):
        return value.isoformat()


def _period_start(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time.min, tzinfo=dt.timezone.utc)


def _period_end(value) -> dt.datetime:
    """Exclusive end: the next day's midnight for a date, the next microsecond for a datetime."""
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(microseconds=1)
    return dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)


class PeriodQuerySerializer(serializers.Serializer):
    """`from`, `to` and, for staff, `user`; validated data has `period_from` (included) and
    `period_to` (excluded) as aware datetimes and `for_user_id`."""

    user = serializers.IntegerField(required=False, min_value=1, help_text="Staff only: one user's usage.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = PeriodBoundField(required=False, help_text="First day (ISO date, UTC) or instant.")
        fields["to"] = PeriodBoundField(required=False, help_text="Last day, included (ISO date, UTC) or instant.")
        return fields

    def validate(self, attrs):
        today = timezone.now().astimezone(dt.timezone.utc).date()
        try:
            end = _period_end(attrs.pop("to", today))
            start = _period_start(attrs.pop("from", end.date() - dt.timedelta(days=DEFAULT_PERIOD_DAYS)))
        except OverflowError:
            raise serializers.ValidationError({"to": ["The date is out of range."]}) from None
        if start >= end:
            raise serializers.ValidationError({"from": ["`from` must not be after `to`."]})
        if end - start > dt.timedelta(days=MAX_PERIOD_DAYS):
            raise serializers.ValidationError({"from": [f"A period spans at most {MAX_PERIOD_DAYS} days."]})
        attrs["period_from"], attrs["period_to"] = start, end
        attrs["for_user_id"] = attrs.pop("user", None)
        return attrs


class CostBreakdownQuerySerializer(PeriodQuerySerializer):
    group_by = serializers.ChoiceField(choices=GROUPS, default="model")


class RequestLogQuerySerializer(PeriodQuerySerializer):
    model = serializers.CharField(required=False, max_length=100)
    status = serializers.RegexField(
        STATUS_PATTERN, required=False, help_text="A code (429), a class (4xx), `ok` (< 400) or `error` (>= 400).",
        error_messages={"invalid": "Use a status code (429), a class (4xx), `ok` or `error`."},
    )
    key = serializers.IntegerField(required=False, min_value=1, help_text="A gateway key id.")
    complexity = serializers.ChoiceField(choices=COMPLEXITIES, required=False)
    cache = serializers.ChoiceField(choices=UsageRecord.CacheOutcome.values, required=False)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)

    FILTERS = ("model", "status", "key", "complexity", "cache")


def money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=24, decimal_places=6, rounding=ROUND_HALF_UP, **kwargs)


def record_money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=8, allow_null=True, **kwargs)


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Included.")
    end = serializers.DateTimeField(help_text="Excluded.")


class OverviewSerializer(serializers.Serializer):
    period = PeriodSerializer()
    requests = serializers.IntegerField()
    errors = serializers.IntegerField()
    error_rate = serializers.FloatField(help_text="Share of requests with status >= 400 (0-1).")
    cache_hits = serializers.IntegerField()
    cache_hit_rate = serializers.FloatField(help_text="(hit + semantic-hit) / requests (0-1).")
    unpriced_requests = serializers.IntegerField()
    cost_usd = money()
    saving_usd = money(help_text="saved_by_routing_usd + saved_by_cache_usd.")
    saved_by_routing_usd = money(help_text="Sum of baseline cost minus cost where both are known.")
    saved_by_cache_usd = money()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    cached_tokens = serializers.IntegerField()
    reasoning_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    avg_latency_ms = serializers.FloatField(allow_null=True)
    p50_latency_ms = serializers.IntegerField(allow_null=True)
    p95_latency_ms = serializers.IntegerField(allow_null=True)


class BreakdownRowSerializer(serializers.Serializer):
    group = serializers.CharField(allow_null=True, help_text="Model id, provider, day (YYYY-MM-DD) or key id.")
    label = serializers.CharField()
    requests = serializers.IntegerField()
    errors = serializers.IntegerField()
    cost_usd = money()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()


class CostBreakdownSerializer(serializers.Serializer):
    period = PeriodSerializer()
    group_by = serializers.CharField()
    rows = BreakdownRowSerializer(many=True)


class ModelShareSerializer(serializers.Serializer):
    model = serializers.CharField()
    provider = serializers.CharField()
    requests = serializers.IntegerField()
    share = serializers.FloatField()


class ComplexityShareSerializer(serializers.Serializer):
    complexity = serializers.CharField()
    requests = serializers.IntegerField()
    share = serializers.FloatField()


class ProviderShareSerializer(serializers.Serializer):
    provider = serializers.CharField()
    requests = serializers.IntegerField()
    share = serializers.FloatField()


class ModelDistributionSerializer(serializers.Serializer):
    period = PeriodSerializer()
    requests = serializers.IntegerField()
    models = ModelShareSerializer(many=True)
    complexities = ComplexityShareSerializer(many=True)
    providers = ProviderShareSerializer(many=True)


class UsageKeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField()


class UsageRecordSerializer(serializers.ModelSerializer):
    key = UsageKeySerializer(source="gateway_key", allow_null=True, read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)
    cost_usd = record_money()
    baseline_cost_usd = record_money()
    saved_by_cache_usd = record_money()

    class Meta:
        model = UsageRecord
        fields = [
            "request_id", "created_at", "user", "key", "requested_model", "model", "provider", "complexity",
            "stream", "status", "error_code", "cache", "fallbacks", "prompt_tokens", "completion_tokens",
            "cached_tokens", "reasoning_tokens", "cost_usd", "is_priced", "baseline_cost_usd", "saved_by_cache_usd",
            "latency_ms", "ttft_ms", "overhead_ms",
        ]
        read_only_fields = fields
