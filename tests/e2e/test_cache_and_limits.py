"""The response cache and rate limits through the live gateway."""
import openai
import pytest

from gateway.cache import reset_response_cache
from gateway.ratelimit import set_limiter
from tests.e2e.conftest import MODELS, wait_for_records

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]


@pytest.fixture(autouse=True)
def fresh_cache_and_limits():
    reset_response_cache()
    set_limiter(None)
    yield
    reset_response_cache()
    set_limiter(None)


def test_a_repeated_request_is_answered_from_the_cache_at_no_cost(sdk, world):
    first = sdk.chat.completions.with_raw_response.create(model=MODELS["openai"], messages=QUESTION)
    second = sdk.chat.completions.with_raw_response.create(model=MODELS["openai"], messages=QUESTION)
    assert first.headers["x-gateway-cache"] == "miss"
    assert second.headers["x-gateway-cache"] == "hit"
    assert second.parse().choices[0].message.content == first.parse().choices[0].message.content
    assert second.headers["x-gateway-request-id"] != first.headers["x-gateway-request-id"]
    assert len(world.fake.requests) == 1
    miss, hit = wait_for_records(2)
    assert hit.cache == "hit" and hit.cost_usd == 0
    assert hit.baseline_cost_usd is None, "a hit's saving is counted once, as saved_by_cache_usd"
    assert hit.saved_by_cache_usd == miss.cost_usd and miss.cost_usd > 0


def test_a_cached_answer_is_replayed_as_a_stream_to_a_streaming_client(sdk, world):
    plain = sdk.chat.completions.create(model=MODELS["anthropic"], messages=QUESTION)
    raw = sdk.chat.completions.with_raw_response.create(
        model=MODELS["anthropic"], messages=QUESTION, stream=True, stream_options={"include_usage": True}
    )
    assert raw.headers["x-gateway-cache"] == "hit"
    chunks = list(raw.parse())
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == plain.choices[0].message.content
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    assert len(world.fake.requests) == 1


def test_a_streamed_answer_fills_the_cache_for_a_plain_request(sdk, world):
    streamed = "".join(
        c.choices[0].delta.content or "" for c in sdk.chat.completions.create(
            model=MODELS["google"], messages=QUESTION, stream=True) if c.choices
    )
    wait_for_records(1)
    raw = sdk.chat.completions.with_raw_response.create(model=MODELS["google"], messages=QUESTION)
    assert raw.headers["x-gateway-cache"] == "hit"
    assert raw.parse().choices[0].message.content == streamed


def test_no_cache_header_bypasses_the_cache(sdk, world):
    sdk.chat.completions.create(model=MODELS["openai"], messages=QUESTION)
    raw = sdk.chat.completions.with_raw_response.create(
        model=MODELS["openai"], messages=QUESTION, extra_headers={"x-gateway-cache": "no-cache"}
    )
    assert raw.headers["x-gateway-cache"] == "bypass"
    assert len(world.fake.requests) == 2


def test_over_the_rate_limit_is_a_429_with_retry_after(sdk, world):
    from keys.services import gateway_key_update

    gateway_key_update(key=world.key, rate_limit_rpm=2)
    for index in range(2):
        sdk.chat.completions.create(model=MODELS["openai"], messages=[{"role": "user", "content": f"q{index}"}])
    with pytest.raises(openai.RateLimitError) as caught:
        sdk.chat.completions.create(model=MODELS["openai"], messages=QUESTION)
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert caught.value.body["code"] == "rate_limit_exceeded"
    assert [r.status for r in wait_for_records(3)] == [200, 200, 429]
