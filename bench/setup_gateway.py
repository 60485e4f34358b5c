"""Prepare a throwaway gateway database for a benchmark run.

Run as a script with the run's environment (DATABASE_URL of a fresh, migrated database,
SECRET_KEY, ENCRYPTION_KEY, DJANGO_SETTINGS_MODULE=gatewayproj.settings,
ALLOW_PRIVATE_PROVIDER_URLS=true):

    python bench/setup_gateway.py --vendor-base-url http://127.0.0.1:9100/v1

It loads the model catalog (when gateway.services.catalog_load exists), points the `openai`
provider at the fake vendor, adds the model `bench-model` under it, and creates a user with an
OpenAI provider key and a gateway key whose rate limit is far above any benchmark's request rate.
Prints one JSON object: {"gateway_key": ..., "named_model": "bench-model", "user_email": ...}.
Never point it at a database that matters: it is meant for a temp-dir database.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

BENCH_MODEL = "bench-model"
BENCH_USER_EMAIL = "bench@example.com"
# Requests per RATE_LIMIT_WINDOW: far above what one run can send, so the limit never bites
# while its check still runs on every request.
BENCH_RATE_LIMIT = 1_000_000_000
FAKE_PROVIDER_KEY = "sk-bench-fake-vendor-key-0000"


def _load_catalog() -> bool:
    try:
        from gateway.services import catalog_load
    except ImportError:
        return False
    catalog_load()
    return True


def _point_openai_at(vendor_base_url: str):
    from gateway.models import LLMModel, Provider

    provider, _ = Provider.objects.update_or_create(
        slug="openai", defaults={"name": "OpenAI", "base_url": vendor_base_url, "enabled": True}
    )
    provider.full_clean()
    LLMModel.objects.update_or_create(
        model_id=BENCH_MODEL,
        defaults={
            "provider": provider,
            "display_name": "Bench model (fake vendor)",
            "input_price_per_mtok": Decimal("0.15"),
            "output_price_per_mtok": Decimal("0.60"),
            "quality_score": 70,
            "speed_score": 90,
            "context_window": 128_000,
            "max_output_tokens": 16_384,
            "enabled": True,
        },
    )


def _announce_registry_change() -> None:
    try:
        from gateway.services import announce_registry_change
    except ImportError:
        from gateway.registry import registry_changed as announce_registry_change
    announce_registry_change()


def setup(vendor_base_url: str) -> dict:
    from accounts.models import User
    from keys.services import gateway_key_create, provider_key_create

    catalog_loaded = _load_catalog()
    _point_openai_at(vendor_base_url)
    user = User.objects.create_user(email=BENCH_USER_EMAIL, password=None)
    provider_key_create(user=user, provider="openai", key=FAKE_PROVIDER_KEY, label="fake vendor")
    _, raw_key = gateway_key_create(user=user, name="bench", rate_limit_rpm=BENCH_RATE_LIMIT)
    _announce_registry_change()
    return {
        "gateway_key": raw_key,
        "named_model": BENCH_MODEL,
        "user_email": BENCH_USER_EMAIL,
        "catalog_loaded": catalog_loaded,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vendor-base-url", required=True, help="the fake vendor, e.g. http://127.0.0.1:9100/v1")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.settings")
    import django

    django.setup()
    print(json.dumps(setup(args.vendor_base_url)))


if __name__ == "__main__":
    main()
