"""What a request cost, from the registry's prices per million tokens."""
from __future__ import annotations

from decimal import Decimal

from gateway.providers.base import Usage
from gateway.registry import ModelInfo

MILLION = Decimal(1_000_000)


def usage_cost(model: ModelInfo, usage: Usage) -> Decimal | None:
    """USD for `usage` on `model`; None when the model is unpriced (never a made-up $0)."""
    if not model.is_priced:
        return None
    cached = min(usage.cached_tokens, usage.prompt_tokens)
    cached_price = model.cached_input_price if model.cached_input_price is not None else model.input_price
    total = (
        (usage.prompt_tokens - cached) * model.input_price
        + cached * cached_price
        + usage.completion_tokens * model.output_price
    )
    return (total / MILLION).quantize(Decimal("0.00000001"))
