"""What one /v1 request accumulates on its way through the pipeline."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.principal import GatewayPrincipal
from gateway.providers.base import Usage
from gateway.registry import ModelInfo


def new_request_id() -> str:
    # 128 random bits. Request ids are unique, not secret, so the process's own generator does
    # (reseeded in every forked worker); os.urandom's system call showed up in profiles.
    return f"{random.getrandbits(128):032x}"


@dataclass
class RequestContext:
    principal: GatewayPrincipal
    request_id: str = field(default_factory=new_request_id)
    started: float = field(default_factory=time.perf_counter)
    created: int = field(default_factory=lambda: int(time.time()))
    body: dict[str, Any] = field(default_factory=dict)
    requested_model: str = ""
    stream: bool = False
    include_usage: bool = False
    cache_bypass: bool = False
    # Filled in as the request moves on.
    complexity: str = ""
    model: ModelInfo | None = None  # the registry model that answered (None for a cache hit of a removed model)
    model_id: str = ""
    provider: str = ""
    fallbacks: int = 0
    cache: str = "miss"
    usage: Usage = field(default_factory=Usage)
    cost_usd: Decimal | None = None
    baseline_cost_usd: Decimal | None = None
    saved_by_cache_usd: Decimal | None = None
    upstream_seconds: float = 0.0
    first_byte_at: float | None = None
    status: int = 200
    error_code: str = ""
    response_body: dict[str, Any] | None = None
    is_recorded: bool = False

    def answered_by(self, model: ModelInfo | None, *, model_id: str = "", provider: str = "") -> None:
        self.model = model
        self.model_id = model.model_id if model else model_id
        self.provider = model.provider if model else provider

    @property
    def response_id(self) -> str:
        return f"chatcmpl-{self.request_id}"

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def overhead_ms(self) -> float:
        return max(0.0, self.elapsed_ms() - self.upstream_seconds * 1000)

    def gateway_headers(self) -> dict[str, str]:
        headers = {
            "x-gateway-request-id": self.request_id,
            "x-gateway-cache": self.cache,
            "x-gateway-fallbacks": str(self.fallbacks),
            "x-gateway-overhead-ms": f"{self.overhead_ms():.2f}",
            "Cache-Control": "private, no-store",
        }
        if self.model_id:
            headers["x-gateway-model"] = self.model_id
            headers["x-gateway-provider"] = self.provider
        if self.complexity:
            headers["x-gateway-complexity"] = self.complexity
        return headers
