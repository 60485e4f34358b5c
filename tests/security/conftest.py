"""Security fixtures: a connection trap, a registry on the fake vendors, a live gateway."""
from __future__ import annotations

import socket
import threading
from decimal import Decimal

import httpx
import pytest

from analytics import recorder
from gateway import auth, user_data
from gateway.models import LLMModel, Provider
from gateway.registry import registry_changed
from keys.services import gateway_key_create, provider_key_create
from tests.e2e.server import LiveGateway
from tests.factories import make_user
from tests.fakes.fixtures import fake_vendor, fake_vendor_server  # noqa: F401

MODELS = {"openai": "gpt-sec", "anthropic": "claude-sec", "google": "gemini-sec"}


class ConnectionTrap:
    """A TCP listener on 127.0.0.1 that records every connection made to it and closes it."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self):
        while not self._stopped.is_set():
            try:
                conn, peer = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(peer)
            conn.close()

    def stop(self):
        self._stopped.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def trap():
    listener = ConnectionTrap()
    yield listener
    listener.stop()


class World:
    """Alice with a gateway key and one provider key per vendor; models served by the fake."""

    def __init__(self, fake, user, raw_key, secrets):
        self.fake = fake
        self.user = user
        self.raw_key = raw_key
        self.secrets = secrets

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw_key}"}


def make_registry(fake) -> None:
    for slug, model_id in MODELS.items():
        provider = Provider.objects.create(slug=slug, name=slug.title(), base_url=fake.base_url(slug))
        LLMModel.objects.create(
            provider=provider, model_id=model_id, display_name=model_id,
            input_price_per_mtok=Decimal("1.00"), output_price_per_mtok=Decimal("4.00"),
            quality_score=85, speed_score=70, context_window=200_000, max_output_tokens=8192,
            supports_tools=True, supports_vision=True, supports_json_mode=True,
        )
    registry_changed()


def build_world(fake, secrets: dict[str, str]) -> World:
    auth.forget_key()
    user_data.forget_user()
    make_registry(fake)
    user = make_user("alice@example.com")
    for slug, secret in secrets.items():
        provider_key_create(user=user, provider=slug, key=secret)
    _, raw = gateway_key_create(user=user, name="security", rate_limit_rpm=100_000)
    return World(fake, user, raw, secrets)


@pytest.fixture
def world(transactional_db, fake_vendor, settings):  # noqa: F811
    settings.UPSTREAM_MAX_RETRIES = 0
    yield build_world(fake_vendor, {"openai": "sk-openai-sec-0001", "anthropic": "sk-ant-sec-0001",
                                    "google": "AIza-sec-0001"})
    recorder.flush()
    auth.forget_key()
    user_data.forget_user()
    registry_changed()


@pytest.fixture
def live_gateway(transactional_db):
    server = LiveGateway().start()
    yield server
    server.stop()
    recorder.flush()


@pytest.fixture
def gateway_http(live_gateway):
    with httpx.Client(base_url=live_gateway.url, timeout=30) as client:
        yield client
