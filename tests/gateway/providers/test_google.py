import orjson
import pytest
from google.genai import types as genai
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.providers.base import ProviderError, SSEEvent, Usage
from gateway.providers.google import GoogleAdapter
from gateway.providers.google.request import SKIP_SIGNATURE
from tests.gateway.providers.strategies import json_values, messages, request_extras
from tests.gateway.providers.vendor_types import (
    assembled,
    assert_valid_completion,
    assert_valid_gemini_request,
    fixture_bytes,
    fixture_events,
    fixture_json,
)

adapter = GoogleAdapter()
IDS = {"model": "gemini-2.5-flash", "response_id": "chatcmpl-gw-3", "created": 1700000002}
HI = [{"role": "user", "content": "hi"}]
BASE = "https://generativelanguage.googleapis.com"


def build(request, *, stream=False, model="gemini-2.5-flash"):
    upstream = adapter.build_request(request, model=model, api_key="AIza-test", base_url=BASE, stream=stream)
    return upstream, orjson.loads(upstream.body)


def body_for(**request):
    request.setdefault("messages", HI)
    body = build({"model": "auto", **request})[1]
    assert_valid_gemini_request(body)
    return body


def run_stream(name):
    translator = adapter.new_stream(**IDS)
    chunks = []
    for event in fixture_events("google", name):
        chunks += translator.feed(event)
    return translator, chunks


def test_the_key_goes_in_a_header_never_in_the_url():
    upstream, _ = build({"model": "auto", "messages": HI})
    assert upstream.url == f"{BASE}/v1beta/models/gemini-2.5-flash:generateContent"
    assert upstream.headers["x-goog-api-key"] == "AIza-test"
    assert "AIza" not in upstream.url and "key=" not in upstream.url
    assert "Authorization" not in upstream.headers


def test_a_stream_uses_stream_generate_content_with_sse():
    upstream, _ = build({"model": "auto", "messages": HI}, stream=True, model="models/gemini-2.0-flash")
    assert upstream.url == f"{BASE}/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"


def test_a_model_id_cannot_escape_its_path_segment():
    upstream, _ = build({"model": "auto", "messages": HI}, model="../files/x?key=1")
    assert upstream.url.startswith(f"{BASE}/v1beta/models/..%2Ffiles%2Fx%3Fkey%3D1:")


def test_the_full_conversation_is_a_valid_gemini_request():
    body = body_for(**fixture_json("openai", "request_conversation.json"))
    assert body["systemInstruction"] == {"parts": [{"text": "You are a helpful travel assistant.\n\nAnswer in English."}]}
    assert [c["role"] for c in body["contents"]] == ["user", "model", "user"]
    user, model, results = body["contents"]
    assert user["parts"][1] == {"fileData": {"mimeType": "image/png", "fileUri": "https://example.com/photos/eiffel.png"}}
    assert user["parts"][2]["inlineData"]["mimeType"] == "image/jpeg"
    assert model["parts"] == [
        {"text": "Let me check both."},
        {"functionCall": {"name": "get_weather", "args": {"location": "Paris"}}, "thoughtSignature": SKIP_SIGNATURE},
        {"functionCall": {"name": "get_time", "args": {"timezone": "Europe/Paris"}}},
    ]
    assert results["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"temperature_c": 18, "sky": "cloudy"}}},
        {"functionResponse": {"name": "get_time", "response": {"result": "14:05"}}},
        {"text": "Thanks! Should I bring an umbrella?"},
    ]
    declarations = body["tools"][0]["functionDeclarations"]
    assert [d["name"] for d in declarations] == ["get_weather", "get_time"]
    assert declarations[0]["parametersJsonSchema"]["required"] == ["location"]
    assert body["toolConfig"] == {"functionCallingConfig": {"mode": "AUTO"}}
    assert body["generationConfig"] == {
        "temperature": 1.4, "topP": 0.9, "maxOutputTokens": 512, "stopSequences": ["\n\nUser:", "END"], "seed": 42,
    }  # fmt: skip


@pytest.mark.parametrize("choice, expected", [
    ("auto", {"mode": "AUTO"}),
    ("none", {"mode": "NONE"}),
    ("required", {"mode": "ANY"}),
    ({"type": "function", "function": {"name": "f"}}, {"mode": "ANY", "allowedFunctionNames": ["f"]}),
])  # fmt: skip
def test_tool_choice_maps_to_function_calling_config(choice, expected):
    body = body_for(tools=[{"type": "function", "function": {"name": "f"}}], tool_choice=choice)
    assert body["toolConfig"] == {"functionCallingConfig": expected}


def test_json_object_sets_the_json_mime_type():
    assert body_for(response_format={"type": "json_object"})["generationConfig"] == {"responseMimeType": "application/json"}


def test_json_schema_sets_the_response_schema():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    config = body_for(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}})["generationConfig"]
    assert config == {"responseMimeType": "application/json", "responseJsonSchema": schema}


def test_a_single_stop_string_becomes_a_list():
    assert body_for(stop="END", max_tokens=5)["generationConfig"] == {"stopSequences": ["END"], "maxOutputTokens": 5}


def test_a_tool_result_for_an_unknown_call_is_a_400():
    with pytest.raises(ProviderError) as caught:
        build({"model": "auto", "messages": [*HI, {"role": "tool", "tool_call_id": "call_x", "content": "1"}]})
    assert caught.value.status == 400


def test_more_than_one_choice_is_refused():
    with pytest.raises(ProviderError) as caught:
        build({"model": "auto", "messages": HI, "n": 3})
    assert caught.value.code == "unsupported_parameter"


def test_the_recorded_payloads_are_valid_gemini_responses():
    for name in ("generate_content.json", "generate_content_function_call.json", "generate_content_blocked.json"):
        genai.GenerateContentResponse.model_validate(fixture_json("google", name))
    for name in ("stream_text.sse", "stream_function_call.sse"):
        for event in fixture_events("google", name):
            genai.GenerateContentResponse.model_validate_json(event.data)


def test_an_answer_drops_thoughts_and_counts_them_as_completion_tokens():
    completion = adapter.parse_response(fixture_bytes("google", "generate_content.json"), **IDS)
    parsed = assert_valid_completion(completion.body)
    assert parsed.choices[0].message.content == "The sky is blue because of Rayleigh scattering."
    assert parsed.id == "chatcmpl-gw-3" and parsed.model == "gemini-2.5-flash"
    assert completion.finish_reason == "stop"
    assert completion.usage == Usage(prompt_tokens=1040, completion_tokens=9 + 104, cached_tokens=1024, reasoning_tokens=104)


def test_function_calls_become_tool_calls_with_generated_ids():
    completion = adapter.parse_response(fixture_bytes("google", "generate_content_function_call.json"), **IDS)
    message = assert_valid_completion(completion.body).choices[0].message
    assert message.content is None
    assert [c.function.name for c in message.tool_calls] == ["get_weather", "get_time"]
    assert all(c.id.startswith("call_") for c in message.tool_calls) and message.tool_calls[0].id != message.tool_calls[1].id
    assert orjson.loads(message.tool_calls[1].function.arguments) == {"timezone": "Europe/Paris"}
    assert completion.finish_reason == "tool_calls"


def test_a_blocked_prompt_is_a_content_filter_finish():
    completion = adapter.parse_response(fixture_bytes("google", "generate_content_blocked.json"), **IDS)
    assert completion.finish_reason == "content_filter"
    assert assert_valid_completion(completion.body).choices[0].message.content == ""


@pytest.mark.parametrize("reason, finish", [("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"),
                                            ("RECITATION", "content_filter"), ("OTHER", "stop"), (None, "stop")])  # fmt: skip
def test_finish_reason_maps_to_openais(reason, finish):
    body = fixture_json("google", "generate_content.json")
    body["candidates"][0]["finishReason"] = reason
    assert adapter.parse_response(orjson.dumps(body), **IDS).finish_reason == finish


def test_a_text_stream_becomes_openai_chunks():
    translator, chunks = run_stream("stream_text.sse")
    text, calls = assembled(chunks)
    assert text == "The sky is blue because of Rayleigh scattering \u2014 \u2600\ufe0f light." and not calls
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert translator.is_complete
    assert translator.usage == Usage(prompt_tokens=8, completion_tokens=44, reasoning_tokens=30)


def test_streamed_function_calls_arrive_whole_one_delta_each():
    translator, chunks = run_stream("stream_function_call.sse")
    text, calls = assembled(chunks)
    assert text == "Let me look that up."
    assert [(c["name"], orjson.loads(c["arguments"])) for c in calls.values()] == [
        ("get_weather", {"location": "Paris"}), ("get_time", {"timezone": "Europe/Paris"}),
    ]  # fmt: skip
    assert all(c["id"].startswith("call_") for c in calls.values())
    assert translator.finish_reason == "tool_calls"


def test_a_stream_without_a_finish_reason_is_not_complete():
    translator = adapter.new_stream(**IDS)
    for event in fixture_events("google", "stream_text.sse")[:-1]:
        translator.feed(event)
    assert not translator.is_complete


def test_an_error_object_in_the_stream_raises():
    translator = adapter.new_stream(**IDS)
    events = fixture_events("google", "stream_error.sse")
    translator.feed(events[0])
    with pytest.raises(ProviderError) as caught:
        translator.feed(events[1])
    assert (caught.value.status, caught.value.code, caught.value.is_retryable) == (503, "UNAVAILABLE", True)
    assert "overloaded" not in caught.value.message


def test_a_quota_error_takes_its_retry_delay_from_the_body():
    error = adapter.parse_error(429, {}, fixture_bytes("google", "error_rate_limit.json"))
    assert (error.code, error.is_retryable, error.retry_after) == ("RESOURCE_EXHAUSTED", True, 38.0)
    assert "quota" not in error.message.lower()


def test_a_retry_after_header_wins_over_the_body():
    assert adapter.parse_error(429, {"Retry-After": "5"}, fixture_bytes("google", "error_rate_limit.json")).retry_after == 5.0


def test_an_invalid_key_is_not_retried():
    error = adapter.parse_error(400, {}, fixture_bytes("google", "error_invalid_argument.json"))
    assert (error.status, error.code, error.is_retryable) == (400, "INVALID_ARGUMENT", False)


@pytest.mark.parametrize("payload", [b"<!DOCTYPE html><html></html>", b"[]", b'{"candidates": {}}', b'{"candidates": [{"content": {"parts": [1]}}]}',
                                     b'{"candidates": [{"content": {"parts": [{"functionCall": {"args": {}}}]}}]}',
                                     b'{"candidates": [], "usageMetadata": {}}', b'{"usageMetadata": {"promptTokenCount": -1}}'])  # fmt: skip
def test_malformed_answers_are_bad_upstream_responses(payload):
    with pytest.raises(ProviderError) as caught:
        adapter.parse_response(payload, **IDS)
    assert caught.value.code == "bad_upstream_response"


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
        adapter.build_request({"messages": messages, **extra}, model="m", api_key="k", base_url="http://x", stream=True)
    except ProviderError:
        pass  # the only exception allowed: anything else fails the test


def test_a_usage_only_event_after_the_finish_updates_usage_without_another_finish():
    translator, chunks = run_stream("stream_text.sse")
    late = {"usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": 16, "totalTokenCount": 24}, "modelVersion": "gemini-2.5-flash"}
    assert translator.feed(SSEEvent(data=orjson.dumps(late).decode())) == []
    assert translator.usage == Usage(prompt_tokens=8, completion_tokens=16)
    assert sum(1 for c in chunks if c["choices"][0]["finish_reason"]) == 1


def test_penalties_are_sent_only_when_they_change_something():
    assert body_for(presence_penalty=0, frequency_penalty=0.5)["generationConfig"] == {"frequencyPenalty": 0.5}
