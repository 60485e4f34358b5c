"""End-to-end fixtures: fake vendors, a registry pointing at them, alice's keys, a live gateway."""
from decimal import Decimal

import openai
import pytest

from analytics import recorder
from gateway import auth, user_data
from gateway.models import LLMModel, Provider
from gateway.registry import registry_changed
from keys.services import gateway_key_create, provider_key_create
from tests.e2e.server import LiveGateway
from tests.factories import make_user
from tests.fakes.fixtures import fake_vendor, fake_vendor_server  # noqa: F401

MODELS = {"openai": "gpt-test", "anthropic": "claude-test", "google": "gemini-test"}
PROVIDER_SECRETS = {"openai": "sk-openai-e2e-secret", "anthropic": "sk-ant-e2e-secret", "google": "AIza-e2e-secret"}


def make_registry(fake) -> dict[str, LLMModel]:
    models = {}
    for slug, model_id in MODELS.items():
        provider = Provider.objects.create(slug=slug, name=slug.title(), base_url=fake.base_url(slug))
        models[slug] = LLMModel.objects.create(
            provider=provider, model_id=model_id, display_name=model_id,
            input_price_per_mtok=Decimal("1.00"), output_price_per_mtok=Decimal("4.00"),
            quality_score=85, speed_score=70, context_window=200_000, max_output_tokens=8192,
            supports_tools=True, supports_vision=True, supports_json_mode=True,
        )
    registry_changed()
    return models


class World:
    def __init__(self, fake, user, raw_key, key, models):
        self.fake = fake
        self.user = user
        self.raw_key = raw_key
        self.key = key
        self.models = models


@pytest.fixture
def world(transactional_db, fake_vendor):  # noqa: F811
    auth.forget_key()
    user_data.forget_user()
    models = make_registry(fake_vendor)
    user = make_user("alice@example.com")
    for slug, secret in PROVIDER_SECRETS.items():
        provider_key_create(user=user, provider=slug, key=secret)
    key, raw = gateway_key_create(user=user, name="e2e", rate_limit_rpm=10_000)
    yield World(fake_vendor, user, raw, key, models)
    recorder.flush()
    registry_changed()


@pytest.fixture
def live_gateway(world):
    server = LiveGateway().start()
    yield server
    server.stop()
    recorder.flush()


@pytest.fixture
def sdk(live_gateway, world):
    return openai.OpenAI(base_url=f"{live_gateway.url}/v1", api_key=world.raw_key, max_retries=0, timeout=30)


@pytest.fixture
def async_sdk(live_gateway, world):
    return openai.AsyncOpenAI(base_url=f"{live_gateway.url}/v1", api_key=world.raw_key, max_retries=0, timeout=30)


def wait_for_records(count: int, timeout: float = 10.0) -> list:
    """The usage records once `count` exist: a stream's record is written when the server side
    of the stream ends, which may be a moment after the client stopped reading."""
    import time

    from analytics.models import UsageRecord

    deadline = time.monotonic() + timeout
    while True:
        recorder.flush()
        found = list(UsageRecord.objects.order_by("created_at"))
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)
