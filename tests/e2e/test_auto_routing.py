"""`model: "auto"` end to end: /v1 follows the routing preview, and falls back across providers."""
from tests.conftest import jwt_client
from tests.e2e.conftest import MODELS
from tests.fakes.vendors import Behaviour

PROVIDER_OF = {model: provider for provider, model in MODELS.items()}
MESSAGES = [{"role": "user", "content": "who wrote the odyssey"}]


def preview(world) -> dict:
    response = jwt_client(world.user).post("/api/routing/preview", {"model": "auto", "messages": MESSAGES}, format="json")
    assert response.status_code == 200
    return response.json()


def test_auto_answers_with_the_model_the_preview_chose(sdk, world):
    plan = preview(world)
    raw = sdk.chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)
    assert raw.headers["x-gateway-model"] == plan["attempt_order"][0]
    assert raw.headers["x-gateway-complexity"] == plan["complexity"]
    assert raw.headers["x-gateway-fallbacks"] == "0"


def test_a_failing_first_choice_falls_back_to_the_previewed_next_model(sdk, world):
    plan = preview(world)
    first, second = plan["attempt_order"][:2]
    assert PROVIDER_OF[first] != PROVIDER_OF[second]
    world.fake.enqueue(PROVIDER_OF[first], *[Behaviour(status=503)] * 5)
    raw = sdk.chat.completions.with_raw_response.create(model="auto", messages=MESSAGES)
    assert raw.headers["x-gateway-model"] == second
    assert raw.headers["x-gateway-provider"] == PROVIDER_OF[second]
    assert raw.headers["x-gateway-fallbacks"] == "1"
    assert raw.parse().choices[0].message.content.startswith(f"Hello from {PROVIDER_OF[second]}")
    assert len(world.fake.requests_for(PROVIDER_OF[first])) >= 1
