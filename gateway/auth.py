"""Gateway-key authentication for /v1 without a database read on every request.

A worker keeps resolved keys in memory for GATEWAY_KEY_CACHE_TTL seconds (1 s by default),
so a revoked key or a changed limit reaches every worker and host within that time; in this
worker a revocation through keys.services drops the entry at once (keys.events). Unknown
keys are remembered for the same time, so a flood of bad keys costs one read per second each.
"""
from __future__ import annotations

import time

from gateway.conf import settings
from gateway.dbthread import run_db
from gateway.errors import AuthenticationError
from gateway.principal import GatewayPrincipal
from gateway.singleflight import SingleFlight
from keys.hashing import digest_gateway_key

MAX_KEY_LENGTH = 256
MAX_CACHED_KEYS = 50_000
# The same answer for a missing, malformed, unknown or revoked key: it tells a caller nothing.
INVALID_KEY_MESSAGE = "Invalid or missing gateway key. Send it as 'Authorization: Bearer <key>'."

_principals: dict[str, tuple[GatewayPrincipal | None, float]] = {}
_loads = SingleFlight()


def _load_principal(digest: str) -> GatewayPrincipal | None:
    from keys.selectors import gateway_key_for_digest

    key = gateway_key_for_digest(digest)
    if key is None or not key.user.is_active:
        return None
    return GatewayPrincipal(
        key_id=key.id,
        user_id=key.user_id,
        key_digest=digest,
        rate_limit_requests=key.rate_limit_rpm or settings.RATE_LIMIT_REQUESTS,
        rate_limit_window=settings.RATE_LIMIT_WINDOW,
        tokens_per_minute=key.tokens_per_minute,
        monthly_budget_usd=key.monthly_budget_usd,
    )


async def _load_and_remember(digest: str) -> GatewayPrincipal | None:
    principal = await run_db(_load_principal, digest)
    if len(_principals) >= MAX_CACHED_KEYS:
        _principals.clear()
    _principals[digest] = (principal, time.monotonic() + settings.GATEWAY_KEY_CACHE_TTL)
    return principal


def bearer_token(authorization: str | None) -> str | None:
    if not authorization or len(authorization) > MAX_KEY_LENGTH + 16:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_KEY_LENGTH:
        return None
    return token


async def authenticate(authorization: str | None) -> GatewayPrincipal:
    token = bearer_token(authorization)
    if token is None:
        raise AuthenticationError(INVALID_KEY_MESSAGE)
    digest = digest_gateway_key(token)
    now = time.monotonic()
    cached = _principals.get(digest)
    if cached is not None and cached[1] > now:
        principal = cached[0]
    else:
        principal = await _loads.run(digest, lambda: _load_and_remember(digest))
    if principal is None:
        raise AuthenticationError(INVALID_KEY_MESSAGE)
    return principal


def forget_key(digest: str | None = None) -> None:
    """Drop one cached key (or all of them): called when a key is revoked or changed."""
    if digest is None:
        _principals.clear()
    else:
        _principals.pop(digest, None)
