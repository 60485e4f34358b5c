"""`model: "auto"` through the live gateway over the default catalog: the preview says what /v1
then does, and a failing first choice falls back to another provider."""
import pytest

from gateway.models import Provider
from gateway.registry import registry_changed
from gateway.services import catalog_load
from tests.conftest import jwt_client
from tests.e2e.conftest import wait_for_records
from tests.fakes.vendors import Behaviour

EASY = {"model": "auto", "messages": [{"role": "user", "content": "What is the capital of France?"}]}
HARD = {
    "model": "auto",
    "messages": [
        {"role": "system", "content": "You are a careful mathematician. Show every step."},
        {"role": "user", "content": "Prove that there are infinitely many primes p such that p ≡ 3 (mod 4), "
                                    "then derive an asymptotic bound for their counting function and analyse "
                                    "the error term rigorously."},
    ],
}


@pytest.fixture
def catalog(world):
    catalog_load()
    for provider in Provider.objects.all():
        provider.base_url = world.fake.base_url(provider.slug)
        provider.save()
    registry_changed()


def preview(user, body):
    response = jwt_client(user).post("/api/routing/preview", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("body", [EASY, HARD], ids=["easy", "hard"])
def test_the_preview_matches_what_v1_does(sdk, world, catalog, body):
    decision = preview(world.user, body)
    raw = sdk.chat.completions.with_raw_response.create(**body)
    assert raw.headers["x-gateway-model"] == decision["chosen"]["model_id"]
    assert raw.headers["x-gateway-complexity"] == decision["complexity"]
    assert world.fake.requests[-1].provider == decision["chosen"]["provider"]


def test_easy_requests_go_to_cheaper_models_than_hard_ones(world, catalog):
    easy, hard = preview(world.user, EASY), preview(world.user, HARD)
    assert easy["complexity"] in ("simple", "moderate")
    assert hard["complexity"] in ("complex", "expert")
    assert easy["estimated_cost_usd"] < hard["estimated_cost_usd"]
    assert easy["chosen"]["quality"] < hard["chosen"]["quality"]


def test_a_failing_first_choice_falls_back_to_another_provider(sdk, world, catalog, settings):
    settings.UPSTREAM_MAX_RETRIES = 1
    settings.UPSTREAM_BACKOFF_BASE = 0.001
    decision = preview(world.user, EASY)
    first = decision["chosen"]["provider"]
    world.fake.enqueue(first, Behaviour(status=503), Behaviour(status=503))
    raw = sdk.chat.completions.with_raw_response.create(**EASY)
    assert int(raw.headers["x-gateway-fallbacks"]) >= 1
    assert raw.headers["x-gateway-provider"] != first
    assert raw.headers["x-gateway-model"] == decision["attempt_order"][int(raw.headers["x-gateway-fallbacks"])]
    [record] = wait_for_records(1)
    assert record.fallbacks == int(raw.headers["x-gateway-fallbacks"])
    assert record.baseline_cost_usd is not None and record.baseline_cost_usd >= record.cost_usd
