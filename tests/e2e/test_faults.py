"""Vendor faults through the live gateway: retries, Retry-After, timeouts, resets, malformed
answers, fallbacks across providers, and what the client and the usage record see."""
import time

import openai
import pytest

from tests.e2e.conftest import MODELS, wait_for_records
from tests.fakes.vendors import Behaviour

HI = [{"role": "user", "content": "Say hello"}]


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.UPSTREAM_BACKOFF_BASE = 0.001
    settings.UPSTREAM_BACKOFF_CAP = 0.01
    settings.UPSTREAM_MAX_RETRIES = 2


def records(count: int = 1):
    return wait_for_records(count)


def test_a_500_then_a_success_gives_one_answer_billed_once(sdk, world):
    world.fake.enqueue("openai", Behaviour(status=500))
    raw = sdk.chat.completions.with_raw_response.create(model=MODELS["openai"], messages=HI)
    completion = raw.parse()
    assert completion.choices[0].message.content.startswith("Hello from openai")
    assert len(world.fake.requests_for("openai")) == 2
    assert raw.headers["x-gateway-fallbacks"] == "0"
    [record] = records()
    assert record.status == 200
    assert record.prompt_tokens == completion.usage.prompt_tokens
    assert record.completion_tokens == completion.usage.completion_tokens


def test_retry_after_on_a_429_is_honoured(sdk, world):
    world.fake.enqueue("openai", Behaviour(status=429, retry_after="1"))
    started = time.monotonic()
    sdk.chat.completions.create(model=MODELS["openai"], messages=HI)
    # The backoff of its own is at most 10 ms here: only the vendor's Retry-After explains a second.
    assert time.monotonic() - started >= 0.95
    assert len(world.fake.requests_for("openai")) == 2


def test_a_vendor_that_does_not_answer_in_time_is_retried(sdk, world, settings):
    settings.UPSTREAM_FIRST_BYTE_TIMEOUT = 0.5
    world.fake.enqueue("openai", Behaviour(delay=3))
    completion = sdk.chat.completions.create(model=MODELS["openai"], messages=HI)
    assert completion.choices[0].message.content.startswith("Hello from openai")
    assert len(world.fake.requests_for("openai")) == 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_connection_reset_before_the_first_byte_is_retried(sdk, world, stream):
    world.fake.enqueue("openai", Behaviour(reset_before_first_byte=True))
    result = sdk.chat.completions.create(model=MODELS["openai"], messages=HI, stream=stream)
    text = "".join(c.choices[0].delta.content or "" for c in result if c.choices) if stream else result.choices[0].message.content
    assert text.startswith("Hello from openai")
    assert [r.status for r in records()] == [200]


def test_a_stream_cut_after_the_first_byte_ends_with_an_error_event_and_partial_usage(sdk, world):
    world.fake.enqueue("anthropic", Behaviour(reset_after_chunks=3))
    seen = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in sdk.chat.completions.create(model=MODELS["anthropic"], messages=HI, stream=True):
            seen.append(chunk)
            assert not (chunk.choices and chunk.choices[0].finish_reason == "stop")
    assert seen, "the client got the chunks sent before the cut"
    assert "stream" in str(caught.value.message).lower()
    assert len(world.fake.requests_for("anthropic")) == 1, "no fallback once the client saw a byte"
    [record] = records()
    assert (record.status, record.error_code) == (502, "stream_interrupted")
    assert record.prompt_tokens > 0, "message_start's input tokens are kept"


def test_malformed_vendor_json_is_a_clean_502_that_echoes_nothing(sdk, world, settings):
    settings.UPSTREAM_MAX_RETRIES = 0
    for provider in MODELS:
        world.fake.enqueue(provider, Behaviour(malformed_json=True))
    with pytest.raises(openai.APIStatusError) as caught:
        sdk.chat.completions.create(model=MODELS["openai"], messages=HI)
    assert caught.value.status_code == 502
    assert caught.value.body["code"] == "bad_upstream_response"
    assert "{" not in caught.value.body["message"]


def test_an_html_error_page_is_not_passed_on(sdk, world, settings):
    settings.UPSTREAM_MAX_RETRIES = 0
    for provider in MODELS:
        world.fake.enqueue(provider, Behaviour(html_error=True))
    with pytest.raises(openai.APIStatusError) as caught:
        sdk.chat.completions.create(model=MODELS["openai"], messages=HI)
    assert caught.value.status_code in (502, 503)
    assert "<" not in caught.value.response.text


def test_every_candidate_failing_is_a_503_recorded_once(sdk, world, settings):
    settings.UPSTREAM_MAX_RETRIES = 1
    for provider in MODELS:
        world.fake.enqueue(provider, Behaviour(status=500), Behaviour(status=503))
    with pytest.raises(openai.APIStatusError) as caught:
        sdk.chat.completions.create(model=MODELS["openai"], messages=HI)
    assert caught.value.status_code == 503
    assert caught.value.body["code"] == "all_providers_failed"
    [record] = records()
    assert (record.status, record.error_code) == (503, "all_providers_failed")
    assert record.cost_usd == 0


def test_a_400_from_the_vendor_is_not_retried_and_reaches_the_client_as_a_400(sdk, world):
    world.fake.enqueue("openai", Behaviour(status=400))
    with pytest.raises(openai.BadRequestError):
        sdk.chat.completions.create(model=MODELS["openai"], messages=HI)
    assert len(world.fake.requests) == 1
    assert [r.status for r in records()] == [400]


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_model_falls_back_to_another_provider(sdk, world, stream):
    world.fake.enqueue("openai", *[Behaviour(status=500)] * 3)
    raw = sdk.chat.completions.with_raw_response.create(model=MODELS["openai"], messages=HI, stream=stream)
    assert raw.headers["x-gateway-fallbacks"] == "1"
    assert raw.headers["x-gateway-provider"] != "openai"
    result = raw.parse()
    text = "".join(c.choices[0].delta.content or "" for c in result if c.choices) if stream else result.choices[0].message.content
    assert text.startswith(f"Hello from {raw.headers['x-gateway-provider']}")
    [record] = records()
    assert record.fallbacks == 1 and record.provider == raw.headers["x-gateway-provider"]
