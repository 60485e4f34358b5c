"""The official openai SDK against the live gateway, for each provider: plain, stream, tools."""
import json

import pytest

from tests.e2e.conftest import MODELS, PROVIDER_SECRETS, wait_for_records

PROVIDERS = list(MODELS)
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


def only_record():
    records = wait_for_records(1)
    assert len(records) == 1
    return records[0]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_plain_completion_works_for_every_provider(sdk, world, provider):
    raw = sdk.chat.completions.with_raw_response.create(
        model=MODELS[provider], messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content.startswith(f"Hello from {provider}")
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.prompt_tokens > 0
    assert raw.headers["x-gateway-model"] == MODELS[provider]
    assert raw.headers["x-gateway-provider"] == provider
    assert raw.headers["x-gateway-cache"] in ("miss", "bypass")
    assert raw.headers["x-gateway-fallbacks"] == "0"
    assert raw.headers["x-gateway-complexity"] in ("simple", "moderate", "complex", "expert")
    assert float(raw.headers["x-gateway-overhead-ms"]) >= 0
    assert raw.headers["cache-control"] == "private, no-store"
    record = only_record()
    assert record.request_id == raw.headers["x-gateway-request-id"]
    assert (record.model, record.provider, record.status) == (MODELS[provider], provider, 200)
    assert record.prompt_tokens == completion.usage.prompt_tokens
    assert record.completion_tokens == completion.usage.completion_tokens
    assert record.cost_usd is not None and record.cost_usd > 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_client_key_never_goes_upstream_and_the_vendor_key_goes_where_the_vendor_wants_it(sdk, world, provider):
    sdk.chat.completions.create(model=MODELS[provider], messages=[{"role": "user", "content": "hi"}])
    upstream = world.fake.requests[-1]
    assert world.raw_key not in json.dumps(upstream.headers)
    secret = PROVIDER_SECRETS[provider]
    expected_header = {"openai": "authorization", "anthropic": "x-api-key", "google": "x-goog-api-key"}[provider]
    assert secret in upstream.headers[expected_header]
    assert secret not in upstream.path


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_stream_arrives_in_chunks_with_usage_at_the_end(sdk, world, provider):
    stream = sdk.chat.completions.create(
        model=MODELS[provider], messages=[{"role": "user", "content": "Say hello"}], stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith(f"Hello from {provider}")
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0
    record = only_record()
    assert record.stream and record.status == 200
    assert record.completion_tokens == chunks[-1].usage.completion_tokens
    assert record.ttft_ms is not None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_stream_without_include_usage_has_no_usage_chunk_but_is_billed(sdk, world, provider):
    chunks = list(sdk.chat.completions.create(
        model=MODELS[provider], messages=[{"role": "user", "content": "Say hello"}], stream=True))
    assert all(c.usage is None for c in chunks)
    assert only_record().completion_tokens > 0


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("stream", [False, True])
def test_a_tool_call_round_trip(sdk, world, provider, stream):
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    if stream:
        calls = {}
        for chunk in sdk.chat.completions.create(model=MODELS[provider], messages=messages, tools=[WEATHER_TOOL], stream=True):
            for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                call = calls.setdefault(delta.index, {"id": None, "name": "", "arguments": ""})
                call["id"] = delta.id or call["id"]
                call["name"] += (delta.function.name or "") if delta.function else ""
                call["arguments"] += (delta.function.arguments or "") if delta.function else ""
        [call] = calls.values()
        tool_call = {"id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": call["arguments"]}}
    else:
        first = sdk.chat.completions.create(model=MODELS[provider], messages=messages, tools=[WEATHER_TOOL])
        assert first.choices[0].finish_reason == "tool_calls"
        tool_call = first.choices[0].message.tool_calls[0].model_dump()
    assert tool_call["function"]["name"] == "get_weather"
    assert "location" in json.loads(tool_call["function"]["arguments"])
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [tool_call]},
        {"role": "tool", "tool_call_id": tool_call["id"], "content": "18 degrees and sunny"},
    ]
    second = sdk.chat.completions.create(model=MODELS[provider], messages=messages, tools=[WEATHER_TOOL])
    assert "18 degrees and sunny" in second.choices[0].message.content


def test_models_lists_what_the_caller_can_reach_and_auto(sdk):
    ids = {m.id for m in sdk.models.list()}
    assert ids == {"auto", *MODELS.values()}


def test_an_unknown_model_is_a_404_in_openais_shape(sdk):
    import openai

    with pytest.raises(openai.NotFoundError) as caught:
        sdk.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.body["code"] == "model_not_found"
    assert only_record().status == 404
