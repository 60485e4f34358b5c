"""Who is calling /v1: the resolved gateway key, as the request path sees it."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class GatewayPrincipal:
    key_id: int
    user_id: int
    key_digest: str
    rate_limit_requests: int  # per RATE_LIMIT_WINDOW seconds; the key's override or the default
    rate_limit_window: int
    tokens_per_minute: int | None
    monthly_budget_usd: Decimal | None
