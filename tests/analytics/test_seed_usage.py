from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from accounts.models import User
from analytics.models import UsageDaily, UsageRecord
from keys.models import GatewayKey

pytestmark = pytest.mark.django_db


def test_it_inserts_realistic_records_for_the_given_users():
    call_command("seed_usage", records=1200, users=["a@example.com", "b@example.com"], days=7, batch_size=500,
                 seed=5, stdout=StringIO())
    assert UsageRecord.objects.count() == 1200
    assert set(UsageRecord.objects.values_list("user__email", flat=True).distinct()) == {"a@example.com",
                                                                                        "b@example.com"}
    assert GatewayKey.objects.count() == 6
    outcomes = dict(UsageRecord.objects.values_list("cache").annotate(n=Count("id")))
    assert set(outcomes) == {"hit", "semantic-hit", "miss", "bypass"}
    assert UsageRecord.objects.filter(status__gte=400).exists()
    assert UsageRecord.objects.filter(cache="hit", saved_by_cache_usd__gt=0, cost_usd=0).exists()
    assert UsageRecord.objects.values("provider").distinct().count() >= 3
    assert UsageRecord.objects.aggregate(c=Sum("cost_usd"))["c"] > Decimal(0)


def test_the_rollups_match_the_seeded_records():
    call_command("seed_usage", records=800, users=["a@example.com"], seed=2, stdout=StringIO())
    raw = UsageRecord.objects.aggregate(n=Count("id"), tokens=Sum("prompt_tokens"), cost=Sum("cost_usd"))
    rolled = UsageDaily.objects.aggregate(n=Sum("requests"), tokens=Sum("prompt_tokens"), cost=Sum("cost_usd"))
    assert rolled["n"] == raw["n"] == 800 and rolled["tokens"] == raw["tokens"]
    assert abs(rolled["cost"] - raw["cost"]) < Decimal("0.000001")


def test_the_same_seed_gives_the_same_numbers():
    call_command("seed_usage", records=300, users=["a@example.com"], seed=9, stdout=StringIO())
    first = list(UsageRecord.objects.order_by("request_id").values_list("model", "prompt_tokens", "status"))
    UsageRecord.objects.all().delete()
    call_command("seed_usage", records=300, users=["a@example.com"], seed=9, stdout=StringIO())
    assert list(UsageRecord.objects.order_by("request_id").values_list("model", "prompt_tokens", "status")) == first


def test_it_creates_missing_users_with_the_given_password():
    call_command("seed_usage", records=1, users=["New@Example.com"], password="pw-for-demo-123", stdout=StringIO())
    assert User.objects.get(email="new@example.com").check_password("pw-for-demo-123")


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError):
        call_command("seed_usage", records=-1, stdout=StringIO())
