"""Run as a separate process: `python -m tests.analytics.metrics_worker observe N` records N
requests into prometheus_client's multiprocess files; `... scrape` prints GET /metrics."""
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.test_settings")

import django  # noqa: E402

django.setup()

from analytics import metrics  # noqa: E402
from gateway.registry import ModelInfo, RegistrySnapshot, holder  # noqa: E402

MODEL = ModelInfo(model_id="gpt-6-luna", provider="openai", display_name="Luna", input_price=None,
                  output_price=None, cached_input_price=None, quality=70, speed=90, context_window=1000,
                  max_output_tokens=100, supports_tools=True, supports_vision=True, supports_json_mode=True)


def observe(count: int) -> None:
    holder.snapshot = RegistrySnapshot(models={MODEL.model_id: MODEL})
    for _ in range(count):
        metrics.observe_request(model="gpt-6-luna", provider="openai", status=200, complexity="simple", cache="miss",
                                latency_s=0.2, cost_usd=0.001)


def scrape() -> None:
    from django.test import Client

    sys.stdout.write(Client().get("/metrics").content.decode())


if __name__ == "__main__":
    observe(int(sys.argv[2])) if sys.argv[1] == "observe" else scrape()
