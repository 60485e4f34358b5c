import pytest

from gateway.errors import InvalidRequestError
from gateway.validation import parse_json, validate_chat_request


def body(**extra):
    return {"model": "auto", "messages": [{"role": "user", "content": "hi"}], **extra}


def test_a_plain_request_is_accepted_unchanged():
    request = body(temperature=0.2, stream=True, stream_options={"include_usage": True})
    assert validate_chat_request(request) is request


@pytest.mark.parametrize("raw", [b"{", b"[]", b'"text"', b"\xff\xfe", b""])
def test_malformed_json_is_a_400(raw):
    with pytest.raises(InvalidRequestError) as caught:
        parse_json(raw)
    assert caught.value.status == 400
    assert caught.value.code == "invalid_json"


def test_deep_nesting_is_refused_before_anything_walks_it(settings):
    settings.GATEWAY_MAX_JSON_DEPTH = 10
    raw = b'{"model": "auto", "x": ' + b"[" * 50 + b"]" * 50 + b"}"
    with pytest.raises(InvalidRequestError) as caught:
        parse_json(raw)
    assert caught.value.code == "too_deep"


@pytest.mark.parametrize(
    "change, param",
    [
        ({"model": None}, "model"),
        ({"model": ""}, "model"),
        ({"messages": []}, "messages"),
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"temperature": 3}, "temperature"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_p": -1}, "top_p"),
        ({"n": 0}, "n"),
        ({"n": 10_000}, "n"),
        ({"max_tokens": 10**9}, "max_tokens"),
        ({"max_completion_tokens": True}, "max_completion_tokens"),
        ({"stream": "yes"}, "stream"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"tools": [{"type": "function"}]}, "tools[0]"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"response_format": {"type": "yaml"}}, "response_format"),
        ({"api_base": "http://169.254.169.254/"}, "api_base"),
        ({"base_url": "http://evil.example/"}, "base_url"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_parameter(change, param):
    with pytest.raises(InvalidRequestError) as caught:
        validate_chat_request(body(**change))
    assert caught.value.param == param
    assert caught.value.to_body()["error"]["type"] == "invalid_request_error"


def test_an_assistant_turn_may_carry_only_tool_calls():
    request = body(
        messages=[
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "type": "function",
                                                                   "function": {"name": "w", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "sunny"},
        ]
    )
    assert validate_chat_request(request) is request
