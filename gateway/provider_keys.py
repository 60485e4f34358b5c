"""A user's decrypted provider keys, kept in this worker's memory for a second at a time.

Decrypting on every request would cost a database read; keeping them longer would let a deleted
key live on. GATEWAY_KEY_CACHE_TTL bounds both, as for gateway keys.
"""
from __future__ import annotations

import time

from django.conf import settings

from gateway.dbthread import run_db

_secrets: dict[int, tuple[dict[str, str], float]] = {}


def _load(user_id: int) -> dict[str, str]:
    from keys.selectors import provider_secrets_for_user

    return provider_secrets_for_user(user_id)


async def provider_secrets(user_id: int) -> dict[str, str]:
    now = time.monotonic()
    cached = _secrets.get(user_id)
    if cached is not None and cached[1] > now:
        return cached[0]
    secrets = await run_db(_load, user_id)
    if len(_secrets) > 10_000:
        _secrets.clear()
    _secrets[user_id] = (secrets, now + settings.GATEWAY_KEY_CACHE_TTL)
    return secrets


def forget_user(user_id: int | None = None) -> None:
    if user_id is None:
        _secrets.clear()
    else:
        _secrets.pop(user_id, None)
