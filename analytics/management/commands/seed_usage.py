"""`manage.py seed_usage --records N`: realistic synthetic usage records for demos and benchmarks.

Models and prices come from the default catalog (gateway/catalog.py); complexity picks a
model tier, tokens follow long-tailed distributions, a share of requests hit the cache, some
fail. Costs are computed the way the gateway prices a request (per million tokens, cached
prompt tokens at the cache-read price), so the pages show believable money.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from analytics.models import UsageRecord
from gateway.catalog import MODELS
from keys.models import GatewayKey
from keys.services import gateway_key_create

MILLION = Decimal(1_000_000)
EIGHT_PLACES = Decimal("0.00000001")
COMPLEXITY_WEIGHTS = {"simple": 45, "moderate": 30, "complex": 18, "expert": 7}
MIN_QUALITY = {"simple": 0, "moderate": 65, "complex": 80, "expert": 90}
CACHE_WEIGHTS = {"miss": 80, "hit": 12, "semantic-hit": 4, "bypass": 4}
ERRORS = ((429, "rate_limited"), (502, "bad_upstream_response"), (503, "all_models_failed"),
          (400, "invalid_request"), (404, "model_not_found"))
KEY_NAMES = ("production", "staging", "batch-jobs", "notebook")


def _cost(model, prompt: int, completion: int, cached: int) -> Decimal:
    cached_price = model.cached_input_price if model.cached_input_price is not None else model.input_price
    total = ((prompt - cached) * model.input_price + cached * cached_price + completion * model.output_price) / MILLION
    return total.quantize(EIGHT_PLACES, ROUND_HALF_UP)


class RecordFactory:
    """Builds unsaved UsageRecords from a seeded random generator."""

    def __init__(self, rng: random.Random, *, start: dt.datetime, end: dt.datetime):
        self.rng = rng
        self.start, self.span = start, (end - start).total_seconds()
        self.baseline = max(MODELS, key=lambda m: (m.output_price, m.input_price))
        self.tiers = {
            level: sorted((m for m in MODELS if m.quality >= q), key=lambda m: m.output_price)
            for level, q in MIN_QUALITY.items()
        }

    def _pick(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def _created_at(self) -> dt.datetime:
        # More traffic in working hours: reject night-time draws half of the time.
        while True:
            moment = self.start + dt.timedelta(seconds=self.rng.random() * self.span)
            if 7 <= moment.hour <= 20 or self.rng.random() < 0.4:
                return moment

    def build(self, user_id: int, key_ids: list[int]) -> UsageRecord:
        rng = self.rng
        complexity = self._pick(COMPLEXITY_WEIGHTS)
        tier = self.tiers[complexity]
        model = tier[min(int(rng.expovariate(1.2)), len(tier) - 1)]
        scale = {"simple": 1, "moderate": 3, "complex": 8, "expert": 15}[complexity]
        prompt = max(5, int(rng.lognormvariate(math.log(250 * scale), 0.9)))
        completion = max(1, int(rng.lognormvariate(math.log(120 * scale), 0.8)))
        cached = int(prompt * rng.choice((0, 0, 0, 0.3, 0.6)))
        reasoning = int(completion * 0.4) if complexity == "expert" else 0
        stream = rng.random() < 0.35
        cache = self._pick(CACHE_WEIGHTS)
        status, error_code = 200, ""
        if cache in ("miss", "bypass") and rng.random() < 0.035:
            status, error_code = rng.choice(ERRORS)
        full_cost = _cost(model, prompt, completion, cached)
        record = UsageRecord(
            request_id=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            created_at=self._created_at(), user_id=user_id,
            gateway_key_id=rng.choice(key_ids) if key_ids else None,
            requested_model="auto" if rng.random() < 0.7 else model.model_id,
            model=model.model_id, provider=model.provider, complexity=complexity, stream=stream,
            prompt_tokens=prompt, completion_tokens=completion, cached_tokens=cached, reasoning_tokens=reasoning,
            cost_usd=full_cost, is_priced=True, baseline_cost_usd=_cost(self.baseline, prompt, completion, cached),
            cache=cache, fallbacks=1 if rng.random() < 0.04 else 0, status=status, error_code=error_code,
        )
        speed_factor = (110 - model.speed) / 50
        record.latency_ms = int(rng.lognormvariate(math.log(400 + completion * 4 * speed_factor), 0.5))
        record.ttft_ms = int(record.latency_ms * rng.uniform(0.08, 0.3)) if stream else None
        record.overhead_ms = round(rng.uniform(0.4, 3.0), 3)
        if cache in ("hit", "semantic-hit"):
            record.cost_usd, record.saved_by_cache_usd, record.baseline_cost_usd = Decimal(0), full_cost, None
            record.latency_ms, record.ttft_ms, record.fallbacks = rng.randint(2, 25), None, 0
        elif status >= 400:
            record.prompt_tokens = record.completion_tokens = record.cached_tokens = record.reasoning_tokens = 0
            record.cost_usd = record.baseline_cost_usd = None
            if status in (400, 404):
                record.model = record.provider = ""
                record.latency_ms = rng.randint(1, 8)
        return record


class Command(BaseCommand):
    help = "Insert N synthetic usage records spread over the last --days days."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, required=True)
        parser.add_argument("--users", nargs="*", default=["demo@example.com"],
                            help="Emails; missing users are created (with --password, else unusable).")
        parser.add_argument("--password", default=None, help="Password for the users this command creates.")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=None, help="Random seed, for repeatable data.")

    def handle(self, *args, records, users, password, days, batch_size, seed, **options):
        if records < 0 or days < 1 or not 1 <= batch_size <= 50_000 or not users:
            raise CommandError("--records >= 0, --days >= 1, 1 <= --batch-size <= 50000 and at least one user.")
        owners = [(user.pk, self._keys(user)) for user in (self._user(email, password) for email in users)]
        end = timezone.now()
        factory = RecordFactory(random.Random(seed), start=end - dt.timedelta(days=days), end=end)
        written = 0
        while written < records:
            size = min(batch_size, records - written)
            batch = [factory.build(*factory.rng.choice(owners)) for _ in range(size)]
            UsageRecord.objects.bulk_create(batch, batch_size=batch_size)
            written += size
            if options.get("verbosity", 1) > 1:
                self.stdout.write(f"{written}/{records}")
        self.stdout.write(self.style.SUCCESS(f"Inserted {written} usage records for {len(owners)} user(s)."))

    def _user(self, email: str, password: str | None) -> User:
        user = User.objects.filter(email=email.lower()).first()
        return user or User.objects.create_user(email=email, password=password)

    def _keys(self, user) -> list[int]:
        ids = list(GatewayKey.objects.filter(user=user, revoked_at__isnull=True).values_list("id", flat=True))
        for name in KEY_NAMES[len(ids):3]:
            ids.append(gateway_key_create(user=user, name=name)[0].pk)
        return ids
