"""Registry snapshots built in code for the classifier and routing tests (no database)."""
from decimal import Decimal

from gateway.registry import ModelInfo, RegistrySnapshot, Weights

ALL_PROVIDERS = frozenset({"openai", "anthropic", "google"})


def make_model(model_id: str, provider: str, *, price: str | None = "1", quality: int = 80, speed: int = 60,
               context_window: int = 128_000, max_output_tokens: int = 8192, tools: bool = True,
               vision: bool = True, json_mode: bool = True, fallbacks: tuple[str, ...] = ()) -> ModelInfo:
    """`price` is the input price per Mtok; output costs four times as much (None: unpriced)."""
    return ModelInfo(
        model_id=model_id, provider=provider, display_name=model_id,
        input_price=None if price is None else Decimal(price),
        output_price=None if price is None else Decimal(price) * 4,
        cached_input_price=None, quality=quality, speed=speed, context_window=context_window,
        max_output_tokens=max_output_tokens, supports_tools=tools, supports_vision=vision,
        supports_json_mode=json_mode, fallbacks=fallbacks,
    )


def make_snapshot(*models: ModelInfo, weights: Weights = Weights(), min_quality: dict | None = None) -> RegistrySnapshot:
    kwargs = {"models": {m.model_id: m for m in models}, "weights": weights}
    if min_quality is not None:
        kwargs["min_quality"] = min_quality
    return RegistrySnapshot(**kwargs)


def tiered_snapshot(**kwargs) -> RegistrySnapshot:
    """Small, mid, strong and top models spread over the three providers."""
    return make_snapshot(
        make_model("small-openai", "openai", price="0.1", quality=62, speed=92),
        make_model("small-google", "google", price="0.15", quality=60, speed=95, tools=False),
        make_model("mid-anthropic", "anthropic", price="0.8", quality=75, speed=80, context_window=32_000),
        make_model("strong-google", "google", price="2", quality=86, speed=60),
        make_model("strong-anthropic", "anthropic", price="3", quality=88, speed=55),
        make_model("top-openai", "openai", price="10", quality=96, speed=35),
        make_model("top-anthropic", "anthropic", price="15", quality=95, speed=30, vision=False),
        **kwargs,
    )


def chat(text: str, **extra) -> dict:
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}
