import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from gateway.providers import ADAPTERS, get_adapter
from gateway.providers.base import ProviderError, SSEEvent, Usage
from gateway.providers.openai import OpenAIAdapter
from tests.gateway.providers.strategies import json_values
from tests.gateway.providers.vendor_types import (
    assembled,
    assert_valid_completion,
    assert_valid_openai_request,
    fixture_bytes,
    fixture_events,
    fixture_json,
)

adapter = OpenAIAdapter()
IDS = {"model": "gpt-4o-mini", "response_id": "chatcmpl-gw-1", "created": 1700000000}


def build(request, *, stream=False, base_url="https://api.openai.com/v1"):
    upstream = adapter.build_request(request, model="gpt-4o-mini", api_key="sk-test", base_url=base_url, stream=stream)
    return upstream, orjson.loads(upstream.body)


def run_stream(name):
    translator = adapter.new_stream(**IDS)
    chunks = []
    for event in fixture_events("openai", name):
        chunks += translator.feed(event)
    return translator, chunks


def test_the_registry_maps_each_slug_to_its_adapter():
    assert set(ADAPTERS) == {"openai", "anthropic", "google"}
    assert isinstance(get_adapter("openai"), OpenAIAdapter)
    assert all(a.slug == slug for slug, a in ADAPTERS.items())


def test_the_request_goes_to_chat_completions_under_the_base_url_with_a_bearer_key():
    upstream, body = build({"model": "auto", "messages": [{"role": "user", "content": "hi"}]}, base_url="http://compat.local/v1/")
    assert upstream.url == "http://compat.local/v1/chat/completions"
    assert upstream.headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "gpt-4o-mini"
    assert "sk-test" not in repr(upstream)


def test_the_full_conversation_passes_through_and_is_a_valid_openai_request():
    request = fixture_json("openai", "request_conversation.json")
    _, body = build(request)
    assert_valid_openai_request(body)
    assert body["messages"] == request["messages"]
    assert body["tools"] == request["tools"] and body["seed"] == 42 and body["temperature"] == 1.4


def test_gateway_only_fields_never_go_upstream():
    _, body = build({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "fallbacks": ["x"], "gateway": {}})
    assert "fallbacks" not in body and "gateway" not in body


def test_streams_always_ask_for_usage_keeping_other_stream_options():
    request = {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": True,
               "stream_options": {"include_usage": False, "include_obfuscation": False}}  # fmt: skip
    upstream, body = build(request, stream=True)
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True, "include_obfuscation": False}
    assert upstream.headers["Accept"] == "text/event-stream"


def test_non_stream_requests_carry_no_stream_options():
    _, body = build({"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": True, "stream_options": {"include_usage": True}})
    assert "stream" not in body and "stream_options" not in body
    assert_valid_openai_request(body)


def test_the_recorded_answers_are_valid_openai_objects():
    ChatCompletion.model_validate(fixture_json("openai", "chat_completion.json"))
    ChatCompletion.model_validate(fixture_json("openai", "chat_completion_tool_calls.json"))
    for event in fixture_events("openai", "stream_text.sse") + fixture_events("openai", "stream_tool_calls.sse"):
        if event.data != "[DONE]":
            ChatCompletionChunk.model_validate_json(event.data)


def test_an_answer_keeps_its_content_and_takes_the_gateway_id_and_model():
    completion = adapter.parse_response(fixture_bytes("openai", "chat_completion.json"), **IDS)
    parsed = assert_valid_completion(completion.body)
    assert parsed.id == "chatcmpl-gw-1" and parsed.model == "gpt-4o-mini" and parsed.created == 1700000000
    assert parsed.choices[0].message.content == "The capital of France is Paris."
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(prompt_tokens=1117, completion_tokens=46, cached_tokens=1024, reasoning_tokens=12)
    assert parsed.usage.completion_tokens_details.accepted_prediction_tokens == 0  # vendor detail kept


def test_tool_calls_keep_their_ids_and_arguments():
    completion = adapter.parse_response(fixture_bytes("openai", "chat_completion_tool_calls.json"), **IDS)
    call = assert_valid_completion(completion.body).choices[0].message.tool_calls[0]
    assert (call.id, call.function.name) == ("call_abc123", "get_current_weather")
    assert orjson.loads(call.function.arguments) == {"location": "Boston, MA"}
    assert completion.finish_reason == "tool_calls"


def test_a_stream_is_forwarded_chunk_by_chunk_without_the_usage_chunk():
    translator, chunks = run_stream("stream_text.sse")
    assert len(chunks) == 5
    assert all(c["id"] == "chatcmpl-gw-1" and c["model"] == "gpt-4o-mini" and "usage" not in c for c in chunks)
    text, calls = assembled(chunks)
    assert text == "Hello! How can I help you today?" and not calls
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert translator.finish_reason == "stop" and translator.is_complete
    assert translator.usage == Usage(prompt_tokens=19, completion_tokens=10)


def test_streamed_tool_call_deltas_assemble_into_the_call():
    translator, chunks = run_stream("stream_tool_calls.sse")
    _, calls = assembled(chunks)
    assert calls == {0: {"id": "call_DdmO9pD3xa9XTPNJ32zg2hcA", "name": "get_weather", "arguments": '{"location":"Paris, France"}'}}
    assert translator.finish_reason == "tool_calls"


def test_a_stream_without_done_is_not_complete():
    translator = adapter.new_stream(**IDS)
    for event in fixture_events("openai", "stream_text.sse")[:-1]:
        translator.feed(event)
    assert not translator.is_complete


def test_an_error_inside_a_stream_raises_without_the_vendor_message():
    translator = adapter.new_stream(**IDS)
    events = fixture_events("openai", "stream_error.sse")
    translator.feed(events[0])
    with pytest.raises(ProviderError) as caught:
        translator.feed(events[1])
    assert caught.value.is_retryable and caught.value.code == "server_error"
    assert "Sorry" not in caught.value.message


def test_rate_limits_are_retryable_and_carry_retry_after():
    error = adapter.parse_error(429, {"retry-after": "3"}, fixture_bytes("openai", "error_rate_limit.json"))
    assert (error.status, error.code, error.is_retryable, error.retry_after) == (429, "rate_limit_exceeded", True, 3.0)
    assert "org-XXXX" not in error.message


def test_retry_after_ms_is_read_in_milliseconds():
    assert adapter.parse_error(429, {"Retry-After-Ms": "1500"}, b"{}").retry_after == 1.5


def test_an_exhausted_quota_is_not_retried():
    error = adapter.parse_error(429, {}, fixture_bytes("openai", "error_insufficient_quota.json"))
    assert error.code == "insufficient_quota" and not error.is_retryable


def test_a_bad_request_is_not_retried_and_echoes_nothing():
    error = adapter.parse_error(400, {}, fixture_bytes("openai", "error_invalid_request.json"))
    assert (error.status, error.code, error.is_retryable) == (400, "invalid_value", False)
    assert "secret" not in error.message


@pytest.mark.parametrize("status, retryable", [(500, True), (502, True), (503, True), (408, True), (409, True), (401, False), (403, False), (404, False), (422, False)])
def test_retryable_statuses(status, retryable):
    error = adapter.parse_error(status, {}, b"<html><body>Bad gateway</body></html>")
    assert error.is_retryable is retryable and error.status == status
    assert "html" not in error.message.lower()


@pytest.mark.parametrize("payload", [b"", b"not json", b"<html>502</html>", b"[]", b'{"choices": "x"}', b'{"choices": []}', b'{"choices": [{"message": 1}]}',
                                     b'{"choices": [{"message": {}}], "usage": {"prompt_tokens": "many"}}'])  # fmt: skip
def test_malformed_answers_are_bad_upstream_responses(payload):
    with pytest.raises(ProviderError) as caught:
        adapter.parse_response(payload, **IDS)
    assert caught.value.code == "bad_upstream_response" and caught.value.status == 502


@settings(max_examples=150, deadline=None)
@given(value=json_values)
def test_only_provider_errors_escape_parse_response(value):
    try:
        adapter.parse_response(orjson.dumps(value), **IDS)
    except ProviderError:
        pass  # the only exception allowed: anything else fails the test


@settings(max_examples=150, deadline=None)
@given(values=st.lists(json_values, max_size=4), raw=st.binary(max_size=20))
def test_only_provider_errors_escape_the_stream_translator(values, raw):
    translator = adapter.new_stream(**IDS)
    for data in [orjson.dumps(v).decode() for v in values] + [raw.decode("utf-8", "replace")]:
        try:
            translator.feed(SSEEvent(data=data))
        except ProviderError:
            pass  # the only exception allowed: anything else fails the test


def test_usage_on_a_content_chunk_is_kept_and_stripped_from_the_chunk():
    translator = adapter.new_stream(**IDS)
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}  # fmt: skip
    [forwarded] = translator.feed(SSEEvent(data=orjson.dumps(chunk).decode()))
    assert "usage" not in forwarded and forwarded["choices"][0]["delta"] == {"content": "hi"}
    assert translator.usage == Usage(prompt_tokens=3, completion_tokens=1)
