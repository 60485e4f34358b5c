"""Prepare a soak run's throwaway database: three providers on the fake vendors, one user.

Run with the run's environment (DATABASE_URL of a fresh, migrated database, SECRET_KEY,
ENCRYPTION_KEY, DJANGO_SETTINGS_MODULE=gatewayproj.settings, ALLOW_PRIVATE_PROVIDER_URLS=true):

    python -m bench.soak_setup --vendor-url http://127.0.0.1:9100

Points `openai`, `anthropic` and `google` at the fake vendors process (tests/fakes/vendors.py),
adds one priced model under each (so that a named model falls back across providers and `auto`
routes among them), and creates a user with a key for each provider and a gateway key whose rate
limit no soak reaches. Prints one JSON object: {"gateway_key": ..., "models": [...]}.
Never point it at a database that matters.
"""
from __future__ import annotations

import argparse
import json
import os
from decimal import Decimal

SOAK_MODELS = {"openai": "soak-gpt", "anthropic": "soak-claude", "google": "soak-gemini"}
VENDOR_PATHS = {"openai": "/openai/v1", "anthropic": "/anthropic", "google": "/google"}
PROVIDER_SECRETS = {"openai": "sk-soak-openai-0000", "anthropic": "sk-ant-soak-0000", "google": "AIza-soak-0000"}
SOAK_USER_EMAIL = "soak@example.com"
SOAK_RATE_LIMIT = 1_000_000_000


def setup(vendor_url: str) -> dict:
    from accounts.models import User
    from gateway.models import LLMModel, Provider
    from gateway.registry import registry_changed
    from keys.services import gateway_key_create, provider_key_create

    user = User.objects.create_user(email=SOAK_USER_EMAIL, password=None)
    for slug, model_id in SOAK_MODELS.items():
        provider, _ = Provider.objects.update_or_create(
            slug=slug, defaults={"name": slug.title(), "base_url": vendor_url + VENDOR_PATHS[slug], "enabled": True}
        )
        provider.full_clean()
        LLMModel.objects.create(
            provider=provider, model_id=model_id, display_name=model_id,
            input_price_per_mtok=Decimal("1.00"), output_price_per_mtok=Decimal("4.00"),
            quality_score=85, speed_score=70, context_window=200_000, max_output_tokens=8192,
            supports_tools=True, supports_vision=True, supports_json_mode=True,
        )  # fmt: skip
        provider_key_create(user=user, provider=slug, key=PROVIDER_SECRETS[slug])
    _, raw_key = gateway_key_create(user=user, name="soak", rate_limit_rpm=SOAK_RATE_LIMIT)
    registry_changed()
    return {"gateway_key": raw_key, "models": list(SOAK_MODELS.values())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vendor-url", required=True, help="the fake vendors process, e.g. http://127.0.0.1:9100")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.settings")
    import django

    django.setup()
    print(json.dumps(setup(args.vendor_url.rstrip("/"))))


if __name__ == "__main__":
    main()
