from decimal import Decimal

from gateway.pricing import usage_cost
from gateway.providers.base import Usage
from gateway.registry import ModelInfo


def model(**overrides):
    fields = dict(
        model_id="m", provider="openai", display_name="M", input_price=Decimal("2.50"), output_price=Decimal("10.00"),
        cached_input_price=Decimal("1.25"), quality=80, speed=70, context_window=128_000, max_output_tokens=16_384,
        supports_tools=True, supports_vision=True, supports_json_mode=True,
    )
    fields.update(overrides)
    return ModelInfo(**fields)


def test_cost_uses_the_prices_per_million_tokens():
    assert usage_cost(model(), Usage(prompt_tokens=1000, completion_tokens=500)) == Decimal("0.00750000")


def test_cached_prompt_tokens_are_billed_at_the_cached_price():
    cost = usage_cost(model(), Usage(prompt_tokens=1000, completion_tokens=0, cached_tokens=400))
    assert cost == Decimal("0.00200000")  # 600 * 2.50 + 400 * 1.25 per million


def test_without_a_cached_price_cached_tokens_cost_the_input_price():
    cost = usage_cost(model(cached_input_price=None), Usage(prompt_tokens=1000, cached_tokens=400))
    assert cost == Decimal("0.00250000")


def test_an_unpriced_model_has_no_cost_rather_than_zero():
    assert usage_cost(model(output_price=None), Usage(prompt_tokens=10, completion_tokens=10)) is None
