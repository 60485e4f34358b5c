"""Every admin page of every registered model renders for an operator: 200, or 403 where the
admin forbids the action (adding a gateway key, deleting a singleton) — never a 500."""
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from analytics.models import UsageRecord
from gateway.services import catalog_load
from keys.services import gateway_key_create, provider_key_create
from tests.factories import make_user


@pytest.fixture
def one_of_everything(db, settings):
    alice = make_user("alice@example.com")
    catalog_load()
    key, _ = gateway_key_create(user=alice, name="app")
    provider_key_create(user=alice, provider="openai", key="sk-admin-pages-0001")
    UsageRecord.objects.create(request_id="r1", created_at=timezone.now(), user=alice, gateway_key=key,
                               model="gpt-4o-mini", provider="openai", complexity="simple", status=200)
    RefreshToken.for_user(alice).blacklist()
    Group.objects.create(name="operators")
    return alice


@pytest.fixture
def operator(db):
    client = Client()
    client.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))
    return client


def pages_of(model, model_admin) -> list[str]:
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    urls = [reverse(f"{prefix}_changelist"), reverse(f"{prefix}_changelist") + "?q=a", reverse(f"{prefix}_add")]
    for pk in model._default_manager.values_list("pk", flat=True)[:3]:
        for view in ("change", "history", "delete"):
            try:
                urls.append(reverse(f"{prefix}_{view}", args=[pk]))
            except NoReverseMatch:
                pass
    return urls


REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize("model,model_admin", REGISTERED, ids=[m._meta.label for m, _ in REGISTERED])
def test_every_admin_page_of_the_model_renders(operator, one_of_everything, model, model_admin):
    operator.raise_request_exception = False
    statuses = {url: operator.get(url).status_code for url in pages_of(model, model_admin)}

    assert {url: s for url, s in statuses.items() if s not in (200, 403)} == {}
    assert statuses[reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")] == 200


def test_the_usage_log_filters_render_with_a_filter_applied(operator, one_of_everything):
    operator.raise_request_exception = False
    for query in ("provider=openai", "complexity=simple", "status_class=2xx", "cache__exact=miss"):
        assert operator.get(f"/admin/analytics/usagerecord/?{query}").status_code == 200, query
