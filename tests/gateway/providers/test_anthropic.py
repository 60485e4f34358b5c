import anthropic.types as at
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from gateway.providers.anthropic import AnthropicAdapter
from gateway.providers.anthropic.request import JSON_OBJECT_INSTRUCTION
from gateway.providers.base import ProviderError, SSEEvent, Usage
from tests.gateway.providers.strategies import json_values, messages, request_extras
from tests.gateway.providers.vendor_types import (
    assembled,
    assert_valid_anthropic_request,
    assert_valid_completion,
    fixture_bytes,
    fixture_events,
    fixture_json,
)

adapter = AnthropicAdapter()
IDS = {"model": "claude-sonnet-4-5", "response_id": "chatcmpl-gw-2", "created": 1700000001}
HI = [{"role": "user", "content": "hi"}]


def build(request, *, stream=False):
    upstream = adapter.build_request(request, model="claude-sonnet-4-5", api_key="sk-ant-test", base_url="https://api.anthropic.com/", stream=stream)
    return upstream, orjson.loads(upstream.body)


def body_for(**request):
    request.setdefault("messages", HI)
    body = build({"model": "auto", **request})[1]
    assert_valid_anthropic_request(body)
    return body


def run_stream(name):
    translator = adapter.new_stream(**IDS)
    chunks = []
    for event in fixture_events("anthropic", name):
        chunks += translator.feed(event)
    return translator, chunks


def test_the_request_goes_to_v1_messages_with_the_key_and_version_headers():
    upstream, body = build({"model": "auto", "messages": HI})
    assert upstream.url == "https://api.anthropic.com/v1/messages"
    assert upstream.headers["x-api-key"] == "sk-ant-test"
    assert upstream.headers["anthropic-version"] == "2023-06-01"
    assert upstream.headers["content-type"] == "application/json"
    assert "Authorization" not in upstream.headers
    assert body["model"] == "claude-sonnet-4-5"


def test_the_full_conversation_is_a_valid_anthropic_request():
    _, body = build(fixture_json("openai", "request_conversation.json"))
    assert_valid_anthropic_request(body)
    assert body["system"] == "You are a helpful travel assistant.\n\nAnswer in English."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    user, assistant, results = body["messages"]
    assert user["content"][1] == {"type": "image", "source": {"type": "url", "url": "https://example.com/photos/eiffel.png"}}
    assert user["content"][2]["source"]["type"] == "base64" and user["content"][2]["source"]["media_type"] == "image/jpeg"
    assert assistant["content"] == [
        {"type": "text", "text": "Let me check both."},
        {"type": "tool_use", "id": "call_weather_1", "name": "get_weather", "input": {"location": "Paris"}},
        {"type": "tool_use", "id": "call_time_2", "name": "get_time", "input": {"timezone": "Europe/Paris"}},
    ]
    assert results["content"] == [
        {"type": "tool_result", "tool_use_id": "call_weather_1", "content": '{"temperature_c": 18, "sky": "cloudy"}'},
        {"type": "tool_result", "tool_use_id": "call_time_2", "content": "14:05"},
        {"type": "text", "text": "Thanks! Should I bring an umbrella?"},
    ]
    assert body["tools"][0] == {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": fixture_json("openai", "request_conversation.json")["tools"][0]["function"]["parameters"],
    }
    assert body["tool_choice"] == {"type": "auto"}
    assert body["stop_sequences"] == ["\n\nUser:", "END"]
    assert body["max_tokens"] == 512
    assert "temperature" not in body and "top_p" not in body  # deprecated by Anthropic
    assert body["metadata"] == {"user_id": "user-1234"}
    assert "seed" not in body and "stream" not in body


def test_max_tokens_defaults_when_the_client_sets_none():
    assert body_for()["max_tokens"] == 4096
    assert body_for(max_tokens=77)["max_tokens"] == 77


def test_a_stream_request_says_so():
    _, body = build({"model": "auto", "messages": HI}, stream=True)
    assert body["stream"] is True


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"type": "auto"}),
    ("none", {"type": "none"}),
    ("required", {"type": "any"}),
    ({"type": "function", "function": {"name": "get_weather"}}, {"type": "tool", "name": "get_weather"}),
])  # fmt: skip
def test_tool_choice_maps_to_anthropics(choice, expected):
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    body = body_for(tools=tools, tool_choice=choice)
    assert body["tool_choice"] == expected
    assert body["tools"] == [{"name": "get_weather", "input_schema": {"type": "object", "properties": {}}}]


def test_disabling_parallel_tool_calls_is_carried_over():
    tools = [{"type": "function", "function": {"name": "f"}}]
    assert body_for(tools=tools, parallel_tool_calls=False)["tool_choice"] == {"type": "auto", "disable_parallel_tool_use": True}


def test_tool_choice_without_tools_is_dropped():
    assert "tool_choice" not in body_for(tool_choice="none")


def test_json_schema_uses_structured_outputs():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}
    body = body_for(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}})
    assert body["output_config"] == {"format": {"type": "json_schema", "schema": schema}}


def test_json_object_asks_for_json_in_the_system_prompt():
    body = body_for(messages=[{"role": "system", "content": "Be brief."}, *HI], response_format={"type": "json_object"})
    assert body["system"] == f"Be brief.\n\n{JSON_OBJECT_INSTRUCTION}"


def test_consecutive_user_messages_are_merged_and_empty_ones_dropped():
    body = body_for(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": ""}, {"role": "user", "content": "b"}])
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]


@pytest.mark.parametrize("field, value", [("logprobs", True), ("functions", [{"name": "f"}]), ("audio", {"voice": "alloy"})])
def test_parameters_without_an_equivalent_are_refused_not_dropped(field, value):
    with pytest.raises(ProviderError) as caught:
        build({"model": "auto", "messages": HI, field: value})
    assert caught.value.code == "unsupported_parameter" and field in caught.value.message


def test_more_than_one_choice_is_refused():
    with pytest.raises(ProviderError) as caught:
        build({"model": "auto", "messages": HI, "n": 2})
    assert (caught.value.status, caught.value.code, caught.value.is_retryable) == (400, "unsupported_parameter", False)


@pytest.mark.parametrize("request_fields", [
    {"messages": []},
    {"messages": [{"role": "wizard", "content": "x"}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}]},
    {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}]}]},
    {"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{oops"}}]}]},
    {"messages": [{"role": "tool", "content": "x"}]},
    {"messages": HI, "stop": [1]},
    {"messages": HI, "max_tokens": 0},
    {"messages": HI, "tool_choice": "sometimes", "tools": [{"type": "function", "function": {"name": "f"}}]},
    {"messages": HI, "response_format": {"type": "xml"}},
])  # fmt: skip
def test_untranslatable_requests_are_clear_400s(request_fields):
    with pytest.raises(ProviderError) as caught:
        build({"model": "auto", **request_fields})
    assert caught.value.status == 400 and not caught.value.is_retryable


def test_the_recorded_payloads_are_valid_anthropic_objects():
    at.Message.model_validate(fixture_json("anthropic", "message.json"))
    at.Message.model_validate(fixture_json("anthropic", "message_tool_use.json"))
    events = TypeAdapter(at.RawMessageStreamEvent)
    for name in ("stream_text.sse", "stream_tool_use.sse"):
        for event in fixture_events("anthropic", name):
            if event.event != "ping":
                assert events.validate_json(event.data).type == event.event
    at.ErrorResponse.model_validate(fixture_json("anthropic", "error_overloaded.json"))


def test_a_message_becomes_a_chat_completion_with_cache_reads_in_the_prompt():
    completion = adapter.parse_response(fixture_bytes("anthropic", "message.json"), **IDS)
    parsed = assert_valid_completion(completion.body)
    assert parsed.id == "chatcmpl-gw-2" and parsed.model == "claude-sonnet-4-5"
    assert parsed.choices[0].message.content == "Hi! My name is Claude."
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(prompt_tokens=2095 + 1800, completion_tokens=503, cached_tokens=1800)
    assert parsed.usage.prompt_tokens_details.cached_tokens == 1800


def test_tool_use_blocks_become_tool_calls_and_thinking_is_dropped():
    completion = adapter.parse_response(fixture_bytes("anthropic", "message_tool_use.json"), **IDS)
    message = assert_valid_completion(completion.body).choices[0].message
    assert message.content == "I'll check the current weather in San Francisco for you."
    assert message.tool_calls[0].id == "toolu_01A09q90qw90lq917835lq9"
    assert orjson.loads(message.tool_calls[0].function.arguments) == {"location": "San Francisco, CA", "unit": "celsius"}
    assert completion.finish_reason == "tool_calls"
    assert completion.usage == Usage(prompt_tokens=472 + 1200, completion_tokens=89, cached_tokens=0, reasoning_tokens=40)


@pytest.mark.parametrize("stop_reason, finish", [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"),
                                                 ("tool_use", "tool_calls"), ("refusal", "content_filter"), ("something_new", "stop")])  # fmt: skip
def test_stop_reason_maps_to_finish_reason(stop_reason, finish):
    message = {**fixture_json("anthropic", "message.json"), "stop_reason": stop_reason}
    assert adapter.parse_response(orjson.dumps(message), **IDS).finish_reason == finish


def test_a_text_stream_becomes_openai_chunks():
    translator, chunks = run_stream("stream_text.sse")
    text, calls = assembled(chunks)
    assert text == "Hello! How can I help?" and not calls
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert translator.is_complete and translator.finish_reason == "stop"
    assert translator.usage == Usage(prompt_tokens=35, completion_tokens=15, cached_tokens=10)


def test_a_tool_use_stream_gives_tool_call_deltas_and_hides_thinking():
    translator, chunks = run_stream("stream_tool_use.sse")
    text, calls = assembled(chunks)
    assert text == "Okay, let's check the weather for San Francisco, CA:"
    assert calls == {0: {"id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "name": "get_weather",
                         "arguments": '{"location": "San Francisco, CA", "unit": "fahrenheit"}'}}  # fmt: skip
    first_call = next(c for c in chunks if c["choices"][0]["delta"].get("tool_calls"))
    assert first_call["choices"][0]["delta"]["tool_calls"][0]["type"] == "function"
    assert translator.finish_reason == "tool_calls"
    assert translator.usage.completion_tokens == 89 and translator.usage.prompt_tokens == 472


def test_a_stream_cut_before_message_stop_is_not_complete():
    translator = adapter.new_stream(**IDS)
    for event in fixture_events("anthropic", "stream_text.sse")[:-1]:
        translator.feed(event)
    assert not translator.is_complete and translator.finish_reason == "stop"


def test_an_error_event_raises_a_retryable_overload():
    translator = adapter.new_stream(**IDS)
    events = fixture_events("anthropic", "stream_error.sse")
    translator.feed(events[0])
    with pytest.raises(ProviderError) as caught:
        translator.feed(events[1])
    assert (caught.value.status, caught.value.code, caught.value.is_retryable) == (529, "overloaded_error", True)


def test_overloaded_and_rate_limited_answers_are_retryable():
    overloaded = adapter.parse_error(529, {}, fixture_bytes("anthropic", "error_overloaded.json"))
    assert overloaded.is_retryable and overloaded.code == "overloaded_error"
    limited = adapter.parse_error(429, {"retry-after": "12"}, fixture_bytes("anthropic", "error_rate_limit.json"))
    assert limited.is_retryable and limited.retry_after == 12.0 and "organization" not in limited.message


def test_an_invalid_request_is_not_retried_and_echoes_nothing():
    error = adapter.parse_error(400, {}, fixture_bytes("anthropic", "error_invalid_request.json"))
    assert (error.status, error.code, error.is_retryable) == (400, "invalid_request_error", False)
    assert "secret" not in error.message


def test_an_html_error_page_maps_by_status():
    error = adapter.parse_error(502, {}, b"<html><h1>502 Bad Gateway</h1></html>")
    assert error.status == 502 and error.is_retryable and "Bad Gateway" not in error.message


@pytest.mark.parametrize("payload", [b"<html>oops</html>", b"{}", b'{"content": [1]}', b'{"content": [], "usage": null}',
                                     b'{"content": [{"type": "tool_use", "id": 3}], "usage": {}}'])  # fmt: skip
def test_malformed_messages_are_bad_upstream_responses(payload):
    with pytest.raises(ProviderError) as caught:
        adapter.parse_response(payload, **IDS)
    assert caught.value.code == "bad_upstream_response"


def test_an_input_delta_for_an_unknown_block_is_malformed():
    translator = adapter.new_stream(**IDS)
    event = {"type": "content_block_delta", "index": 5, "delta": {"type": "input_json_delta", "partial_json": "{"}}
    with pytest.raises(ProviderError):
        translator.feed(SSEEvent(data=orjson.dumps(event).decode(), event="content_block_delta"))


@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_only_provider_errors_escape_parse_response(value):
    try:
        adapter.parse_response(orjson.dumps(value), **IDS)
    except ProviderError:
        pass  # the only exception allowed: anything else fails the test


@settings(max_examples=150, deadline=None)
@given(values=st.lists(json_values, max_size=5))
def test_only_provider_errors_escape_the_stream_translator(values):
    translator = adapter.new_stream(**IDS)
    for value in values:
        try:
            translator.feed(SSEEvent(data=orjson.dumps(value).decode()))
        except ProviderError:
            pass  # the only exception allowed: anything else fails the test


@settings(max_examples=150, deadline=None)
@given(messages=messages, extra=request_extras)
def test_only_provider_errors_escape_build_request(messages, extra):
    try:
        adapter.build_request({"messages": messages, **extra}, model="m", api_key="k", base_url="http://x", stream=False)
    except ProviderError:
        pass  # the only exception allowed: anything else fails the test


def test_a_message_delta_that_reports_input_tokens_updates_the_prompt_count():
    translator = adapter.new_stream(**IDS)
    events = fixture_events("anthropic", "stream_text.sse")
    for event in events[:-2]:
        translator.feed(event)
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
             "usage": {"input_tokens": 30, "cache_read_input_tokens": 10, "output_tokens": 20}}  # fmt: skip
    translator.feed(SSEEvent(data=orjson.dumps(delta).decode(), event="message_delta"))
    assert translator.usage == Usage(prompt_tokens=40, completion_tokens=20, cached_tokens=10)
