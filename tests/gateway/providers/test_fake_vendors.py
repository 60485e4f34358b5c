"""The fake vendors speak the real wire formats: driven by our adapters over real HTTP, and
accepted by the vendors' official SDKs."""
import anthropic
import httpx
import openai
import orjson
import pytest
from google import genai

from gateway.providers import ADAPTERS
from gateway.providers.base import ProviderError
from gateway.sse import SSEParser
from tests.fakes.fixtures import fake_vendor, fake_vendor_server  # noqa: F401 (fixtures)
from tests.fakes.vendors import Behaviour
from tests.gateway.providers.vendor_types import assembled, assert_valid_completion

MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5", "google": "gemini-2.5-flash"}
KEYS = {"openai": "sk-openai-test", "anthropic": "sk-ant-test", "google": "AIza-test"}
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"location": {"type": "string"}, "days": {"type": "integer"}}, "required": ["location", "days"]}}}  # fmt: skip
ALL = pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])


def call(fake, provider, request, *, stream=False, timeout=5.0):
    """One upstream call the way the pipeline makes it: adapter -> HTTP -> adapter."""
    adapter = ADAPTERS[provider]
    upstream = adapter.build_request(request, model=MODELS[provider], api_key=KEYS[provider], base_url=fake.base_url(provider), stream=stream)
    ids = {"model": MODELS[provider], "response_id": "chatcmpl-test", "created": 1}
    with httpx.Client(timeout=timeout) as client, client.stream("POST", upstream.url, headers=upstream.headers, content=upstream.body) as response:
        if response.status_code != 200:
            raise adapter.parse_error(response.status_code, response.headers, response.read())
        if not stream:
            return adapter.parse_response(response.read(), **ids)
        parser, translator, chunks = SSEParser(), adapter.new_stream(**ids), []
        for raw in response.iter_raw():
            for event in parser.feed(raw):
                chunks += translator.feed(event)
        for event in parser.close():
            chunks += translator.feed(event)
        return translator, chunks


def ask(text="What is the weather like?", **extra):
    return {"model": "auto", "messages": [{"role": "user", "content": text}], **extra}


@ALL
def test_a_plain_answer_round_trips(fake_vendor, provider):
    completion = call(fake_vendor, provider, ask())
    message = assert_valid_completion(completion.body).choices[0].message
    assert message.content == f"Hello from {provider} {MODELS[provider]}"
    assert completion.usage.prompt_tokens == 5 and completion.usage.completion_tokens == 4
    assert completion.finish_reason == "stop"


@ALL
def test_a_stream_round_trips_event_by_event(fake_vendor, provider):
    translator, chunks = call(fake_vendor, provider, ask(stream=True), stream=True)
    text, _ = assembled(chunks)
    assert text == f"Hello from {provider} {MODELS[provider]}"
    assert translator.is_complete and translator.finish_reason == "stop"
    assert translator.usage.prompt_tokens == 5 and translator.usage.completion_tokens == 4
    assert len(chunks) >= 5  # role, four words, finish


@ALL
def test_the_vendor_key_goes_only_in_the_vendors_auth_header(fake_vendor, provider):
    call(fake_vendor, provider, ask())
    [(recorded_provider, path, headers, body)] = fake_vendor.requests
    assert recorded_provider == provider
    auth = {"openai": ("authorization", f"Bearer {KEYS['openai']}"), "anthropic": ("x-api-key", KEYS["anthropic"]),
            "google": ("x-goog-api-key", KEYS["google"])}[provider]  # fmt: skip
    assert headers[auth[0]] == auth[1]
    assert KEYS[provider] not in path
    if provider != "openai":
        assert "authorization" not in headers


@ALL
def test_a_tool_call_round_trip(fake_vendor, provider):
    first = call(fake_vendor, provider, ask(tools=[WEATHER_TOOL]))
    message = assert_valid_completion(first.body).choices[0].message
    [tool_call] = message.tool_calls
    assert tool_call.function.name == "get_weather"
    assert orjson.loads(tool_call.function.arguments) == {"location": "Paris", "days": 1}
    assert first.finish_reason == "tool_calls"
    history = ask(tools=[WEATHER_TOOL])["messages"] + [
        message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": tool_call.id, "content": "Sunny and 21C"},
    ]
    second = call(fake_vendor, provider, {"model": "auto", "messages": history, "tools": [WEATHER_TOOL]})
    assert "Sunny and 21C" in assert_valid_completion(second.body).choices[0].message.content


@ALL
def test_a_streamed_tool_call_assembles(fake_vendor, provider):
    translator, chunks = call(fake_vendor, provider, ask(tools=[WEATHER_TOOL], stream=True), stream=True)
    _, calls = assembled(chunks)
    assert calls[0]["name"] == "get_weather" and orjson.loads(calls[0]["arguments"]) == {"location": "Paris", "days": 1}
    assert translator.finish_reason == "tool_calls"


@ALL
def test_a_scripted_rate_limit_carries_retry_after_then_the_next_call_succeeds(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(status=429, retry_after="7"))
    with pytest.raises(ProviderError) as caught:
        call(fake_vendor, provider, ask())
    assert (caught.value.status, caught.value.is_retryable, caught.value.retry_after) == (429, True, 7.0)
    assert call(fake_vendor, provider, ask()).finish_reason == "stop"


@ALL
def test_a_scripted_bad_request_is_not_retryable(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(status=400))
    with pytest.raises(ProviderError) as caught:
        call(fake_vendor, provider, ask())
    assert caught.value.status == 400 and not caught.value.is_retryable


@ALL
def test_an_html_error_page_is_a_retryable_502(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(html_error=True))
    with pytest.raises(ProviderError) as caught:
        call(fake_vendor, provider, ask())
    assert caught.value.status == 502 and caught.value.is_retryable and "Bad Gateway" not in caught.value.message


@ALL
@pytest.mark.parametrize("stream", [False, True])
def test_malformed_json_is_a_bad_upstream_response(fake_vendor, provider, stream):
    fake_vendor.enqueue(provider, Behaviour(malformed_json=True))
    with pytest.raises(ProviderError) as caught:
        call(fake_vendor, provider, ask(stream=stream), stream=stream)
    assert caught.value.code == "bad_upstream_response"


@ALL
def test_a_truncated_stream_is_detected_by_the_parser(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(truncated_sse=True))
    with pytest.raises(ProviderError) as caught:
        call(fake_vendor, provider, ask(stream=True), stream=True)
    assert caught.value.code == "bad_upstream_response"


@ALL
def test_a_reset_before_the_first_byte_is_a_transport_error(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(reset_before_first_byte=True))
    with pytest.raises(httpx.TransportError):
        call(fake_vendor, provider, ask())


@ALL
def test_a_reset_mid_stream_comes_after_the_first_events(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(reset_after_chunks=2))
    adapter = ADAPTERS[provider]
    upstream = adapter.build_request(ask(), model=MODELS[provider], api_key="k", base_url=fake_vendor.base_url(provider), stream=True)
    parser, events = SSEParser(), []
    with pytest.raises(httpx.TransportError):
        with httpx.stream("POST", upstream.url, headers=upstream.headers, content=upstream.body, timeout=5) as response:
            for raw in response.iter_raw():
                events += parser.feed(raw)
    assert len(events) == 2


@ALL
def test_a_stalled_stream_times_out_after_its_first_events(fake_vendor, provider):
    fake_vendor.enqueue(provider, Behaviour(stall_after_chunks=1))
    with pytest.raises(httpx.ReadTimeout):
        call(fake_vendor, provider, ask(stream=True), stream=True, timeout=0.3)


def test_a_delay_before_the_headers_times_out(fake_vendor):
    fake_vendor.enqueue("anthropic", Behaviour(delay=5))
    with pytest.raises(httpx.ReadTimeout):
        call(fake_vendor, "anthropic", ask(), timeout=0.2)


def test_behaviours_are_consumed_in_order_per_provider(fake_vendor):
    fake_vendor.enqueue("openai", Behaviour(status=500), Behaviour(text="second"))
    with pytest.raises(ProviderError):
        call(fake_vendor, "openai", ask())
    assert call(fake_vendor, "google", ask()).finish_reason == "stop"  # other providers are unaffected
    assert call(fake_vendor, "openai", ask()).body["choices"][0]["message"]["content"] == "second"
    assert [r.provider for r in fake_vendor.requests] == ["openai", "google", "openai"]


def test_the_fixture_starts_each_test_clean(fake_vendor):
    assert fake_vendor.requests == []


def test_the_openai_sdk_accepts_the_fake(fake_vendor):
    client = openai.OpenAI(base_url=fake_vendor.base_url("openai"), api_key="sk-sdk", max_retries=0)
    completion = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], tools=[WEATHER_TOOL])
    assert completion.choices[0].message.tool_calls[0].function.name == "get_weather"
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True,
                                            stream_options={"include_usage": True})  # fmt: skip
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from openai gpt-4o-mini"
    assert chunks[-1].usage.completion_tokens == 4


def test_the_anthropic_sdk_accepts_the_fake(fake_vendor):
    client = anthropic.Anthropic(base_url=fake_vendor.base_url("anthropic"), api_key="sk-ant-sdk", max_retries=0)
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert message.content[0].text == "Hello from anthropic claude-haiku-4-5"
    tools = [{"name": "get_weather", "input_schema": WEATHER_TOOL["function"]["parameters"]}]
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=10, tools=tools, messages=[{"role": "user", "content": "hi"}]) as stream:
        final = stream.get_final_message()
    assert final.content[0].input == {"location": "Paris", "days": 1} and final.stop_reason == "tool_use"
    assert fake_vendor.requests[0].body["model"] == "claude-haiku-4-5"


def test_the_google_sdk_accepts_the_fake(fake_vendor):
    client = genai.Client(api_key="AIza-sdk", http_options=genai.types.HttpOptions(base_url=fake_vendor.base_url("google")))
    response = client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert response.text == "Hello from google gemini-2.5-flash"
    assert response.usage_metadata.candidates_token_count == 4
    pieces = [chunk.text for chunk in client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi")]
    assert "".join(pieces) == "Hello from google gemini-2.5-flash" and len(pieces) == 4
    assert fake_vendor.requests[-1].path.endswith("/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
