from django.conf import settings
from django.db import models


class UsageRecord(models.Model):
    """One gateway request, whatever its outcome: written exactly once by analytics.services."""

    class CacheOutcome(models.TextChoices):
        HIT = "hit"
        SEMANTIC_HIT = "semantic-hit"
        MISS = "miss"
        BYPASS = "bypass"

    request_id = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usage_records")
    gateway_key = models.ForeignKey(
        "keys.GatewayKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="usage_records"
    )
    requested_model = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=100, blank=True, help_text="The model that answered.")
    provider = models.CharField(max_length=20, blank=True)
    complexity = models.CharField(max_length=10, blank=True)
    stream = models.BooleanField(default=False)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    cached_tokens = models.PositiveIntegerField(default=0)
    reasoning_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(
        max_digits=14, decimal_places=8, null=True, blank=True, help_text="Empty when the model is unpriced."
    )
    is_priced = models.BooleanField(default=True)
    baseline_cost_usd = models.DecimalField(
        max_digits=14, decimal_places=8, null=True, blank=True,
        help_text="What the most expensive eligible model would have cost.",
    )
    saved_by_cache_usd = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    ttft_ms = models.PositiveIntegerField(null=True, blank=True)
    overhead_ms = models.FloatField(default=0)
    cache = models.CharField(max_length=12, choices=CacheOutcome.choices, default=CacheOutcome.MISS)
    fallbacks = models.PositiveSmallIntegerField(default=0)
    status = models.PositiveSmallIntegerField()
    error_code = models.CharField(max_length=50, blank=True)
    request_body = models.JSONField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["user", "model", "created_at"]),
            models.Index(fields=["gateway_key", "created_at"]),
            # The request log filtered by model for staff (all users), and by error status.
            models.Index(fields=["model", "created_at"], name="analytics_model_time"),
            models.Index(fields=["user", "status", "created_at"], name="analytics_user_status_time"),
            models.Index(fields=["status", "created_at"], name="analytics_status_time"),
        ]

    def __str__(self) -> str:
        return self.request_id


class UsageDaily(models.Model):
    """Totals of usage records per UTC day and dimension, kept by database triggers.

    Migration 0002 installs the triggers (insert, update and delete of UsageRecord rows adjust
    these totals in the same transaction) and backfills existing records; no Python code writes
    here. Analytics selectors answer whole days from this table and only touch raw records for
    partial days. `user_id` and `key_id` are plain integers (0 = no key) so the unique key holds
    no NULLs.
    """

    day = models.DateField()
    user_id = models.BigIntegerField()
    key_id = models.BigIntegerField(default=0)
    model = models.CharField(max_length=100, blank=True)
    provider = models.CharField(max_length=20, blank=True)
    complexity = models.CharField(max_length=10, blank=True)
    cache = models.CharField(max_length=12)
    status = models.PositiveSmallIntegerField()
    requests = models.BigIntegerField(default=0)
    unpriced = models.BigIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=20, decimal_places=8, default=0)
    baseline_saving_usd = models.DecimalField(
        max_digits=20, decimal_places=8, default=0, help_text="Sum of baseline - cost where both are known."
    )
    saved_by_cache_usd = models.DecimalField(max_digits=20, decimal_places=8, default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    cached_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    latency_ms_total = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "day", "key_id", "model", "provider", "complexity", "cache", "status"],
                name="analytics_daily_dims_unique",
            )
        ]
        indexes = [models.Index(fields=["day"], name="analytics_daily_day")]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id} {self.model or '-'}: {self.requests}"


class UsageLatencyDaily(models.Model):
    """How many requests per UTC day and user fell in each latency bucket (trigger-kept, like
    UsageDaily). `bucket` is the latency rounded down to its bucket: exact below 200 ms, buckets
    at most 2.5% wide above (see analytics/percentiles.py)."""

    day = models.DateField()
    user_id = models.BigIntegerField()
    bucket = models.PositiveIntegerField()
    requests = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "day", "bucket"], name="analytics_latency_unique")
        ]
        # Covering for the all-users histogram: read in (day, bucket) order without the table.
        indexes = [models.Index(fields=["day", "bucket", "requests"], name="analytics_latency_day_bucket")]

    def __str__(self) -> str:
        return f"{self.day} user {self.user_id} {self.bucket} ms: {self.requests}"
