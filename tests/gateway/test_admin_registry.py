"""The operator console edits the registry through the admin forms, and each edit reaches the
registry snapshot (the version bumps)."""
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from gateway.models import ClassifierConfig, ComplexityRule, LLMModel, Provider, RoutingWeights
from gateway.registry import VERSION_KEY, load_snapshot
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db):
    call_command("load_catalog")
    client = Client()
    client.force_login(make_user("ops@example.com", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def version_bumps():
    start = cache.get(VERSION_KEY, 0)
    return lambda: cache.get(VERSION_KEY, 0) - start


def form_data(page, **changes) -> dict:
    """The POST body the admin change page would send, with `changes` applied."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management[name].html_name: management[name].value() for name in management.fields})
        forms.extend(inline.formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form[name].html_name] = "on" if value is True else value
    data.update(changes)
    return data


def test_an_operator_edits_a_models_prices(operator, version_bumps):
    model = LLMModel.objects.get(model_id="gpt-6-luna")
    url = f"/admin/gateway/llmmodel/{model.pk}/change/"

    response = operator.post(url, form_data(operator.get(url), input_price_per_mtok="0.25",
                                            output_price_per_mtok="1.50", cached_input_price_per_mtok=""))

    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.input_price_per_mtok, model.output_price_per_mtok) == (Decimal("0.25"), Decimal("1.5"))
    assert model.cached_input_price_per_mtok is None
    assert model.fallback_links.count() == 2
    assert version_bumps() > 0
    assert load_snapshot().models["gpt-6-luna"].output_price == Decimal("1.5")


def test_an_operator_edits_a_models_fallbacks_inline(operator, version_bumps):
    model = LLMModel.objects.get(model_id="gpt-6-luna")
    url = f"/admin/gateway/llmmodel/{model.pk}/change/"
    data = form_data(operator.get(url))
    data["fallback_links-0-DELETE"] = "on"

    assert operator.post(url, data).status_code == 302
    assert load_snapshot().models["gpt-6-luna"].fallbacks == ("gemini-3.5-flash-lite",)
    assert version_bumps() > 0


def test_a_model_cannot_fall_back_to_itself(operator):
    model = LLMModel.objects.get(model_id="gpt-6-luna")
    url = f"/admin/gateway/llmmodel/{model.pk}/change/"
    data = form_data(operator.get(url))
    data["fallback_links-0-fallback"] = str(model.pk)

    response = operator.post(url, data)

    assert response.status_code == 200
    assert "cannot fall back to itself" in response.content.decode()


def test_an_operator_edits_the_routing_weights(operator, version_bumps):
    url = "/admin/gateway/routingweights/1/change/"

    response = operator.post(url, {"cost": "0.5", "quality": "0.3", "speed": "0.2"})

    assert response.status_code == 302
    weights = RoutingWeights.objects.get()
    assert (weights.cost, weights.quality, weights.speed) == (Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))
    assert load_snapshot().weights.cost == 0.5
    assert version_bumps() > 0


@pytest.mark.parametrize("weights", [("0.5", "0.5", "0.5"), ("0.2", "0.2", "0.2"), ("1.2", "-0.1", "-0.1")])
def test_weights_that_do_not_sum_to_one_are_refused(operator, version_bumps, weights):
    cost, quality, speed = weights

    response = operator.post("/admin/gateway/routingweights/1/change/",
                             {"cost": cost, "quality": quality, "speed": speed})

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert RoutingWeights.objects.get().cost == Decimal("0.4")
    assert version_bumps() == 0


def test_routing_weights_are_one_row_that_cannot_be_added_or_deleted(operator):
    assert operator.get("/admin/gateway/routingweights/add/").status_code == 403
    assert operator.post("/admin/gateway/routingweights/1/delete/", {"post": "yes"}).status_code == 403
    assert RoutingWeights.objects.count() == 1


def test_the_disable_action_goes_through_the_service(operator, version_bumps):
    ids = list(LLMModel.objects.filter(provider__slug="google").values_list("pk", flat=True))

    response = operator.post("/admin/gateway/llmmodel/", {"action": "disable", "_selected_action": ids})

    assert response.status_code == 302
    assert not LLMModel.objects.filter(provider__slug="google", enabled=True).exists()
    assert not any(m.provider == "google" for m in load_snapshot().models.values())
    assert version_bumps() > 0


def test_the_enable_action(operator):
    LLMModel.objects.update(enabled=False)
    ids = list(LLMModel.objects.values_list("pk", flat=True))

    operator.post("/admin/gateway/llmmodel/", {"action": "enable", "_selected_action": ids})

    assert LLMModel.objects.filter(enabled=True).count() == len(ids)


@pytest.mark.parametrize(
    "base_url",
    ["ftp://api.example.com", "https://user:pw@api.example.com/v1", "https://api.example.com/v1#frag", "nonsense"],
)
def test_a_bad_provider_base_url_is_refused(operator, version_bumps, base_url):
    provider = Provider.objects.get(slug="openai")

    response = operator.post(f"/admin/gateway/provider/{provider.pk}/change/",
                             {"slug": "openai", "name": "OpenAI", "base_url": base_url, "enabled": "on"})

    assert response.status_code == 200
    provider.refresh_from_db()
    assert provider.base_url == ""
    assert version_bumps() == 0


def test_a_provider_base_url_override_reaches_the_snapshot(operator, version_bumps):
    provider = Provider.objects.get(slug="openai")

    response = operator.post(f"/admin/gateway/provider/{provider.pk}/change/",
                             {"slug": "openai", "name": "OpenAI", "base_url": "https://llm-proxy.example.com/v1",
                              "enabled": "on"})

    assert response.status_code == 302
    assert load_snapshot().base_urls["openai"] == "https://llm-proxy.example.com/v1"
    assert version_bumps() > 0


def test_classifier_settings_must_be_json_objects(operator, version_bumps):
    url = "/admin/gateway/classifierconfig/1/change/"

    refused = operator.post(url, {"thresholds": "[1, 2]", "keywords": "{}"})
    accepted = operator.post(url, {"thresholds": '{"long_prompt_tokens": 2500}', "keywords": '{"math": ["sum"]}'})

    assert refused.status_code == 200 and accepted.status_code == 302
    assert ClassifierConfig.objects.get().thresholds == {"long_prompt_tokens": 2500}
    assert load_snapshot().classifier_keywords == {"math": ["sum"]}


def test_complexity_rules_are_edited_in_the_list(operator, version_bumps):
    rules = list(ComplexityRule.objects.order_by("pk"))
    data = {"form-TOTAL_FORMS": len(rules), "form-INITIAL_FORMS": len(rules), "_save": "Save"}
    for i, rule in enumerate(rules):
        data[f"form-{i}-id"] = rule.pk
        data[f"form-{i}-min_quality"] = 70 if rule.complexity == "moderate" else rule.min_quality

    response = operator.post("/admin/gateway/complexityrule/", data)

    assert response.status_code == 302
    assert load_snapshot().min_quality["moderate"] == 70
    assert version_bumps() > 0


def test_a_routing_preference_needs_known_provider_names(operator, alice):
    response = operator.post("/admin/gateway/routingpreference/add/", {
        "user": alice.pk, "allowed_providers": '["openai", "mistral"]', "blocked_providers": "[]",
        "allowed_models": "[]", "blocked_models": "[]"})

    assert response.status_code == 200
    assert "Unknown provider" in response.content.decode()


@pytest.mark.parametrize("model", ["provider", "llmmodel", "routingweights", "classifierconfig", "complexityrule",
                                   "routingpreference"])
def test_registry_pages_render(operator, model):
    assert operator.get(f"/admin/gateway/{model}/").status_code == 200
    assert operator.get(f"/admin/gateway/{model}/add/").status_code in (200, 403)


def test_the_model_list_can_be_searched_and_filtered(operator):
    page = operator.get("/admin/gateway/llmmodel/", {"q": "luna", "enabled__exact": "1"}).content.decode()

    assert "gpt-6-luna" in page and "claude-opus-5-5" not in page
