"""Parsing and validating an OpenAI Chat Completions body before anything else looks at it.

Errors are `InvalidRequestError` (400) naming the offending parameter; nothing here echoes the
caller's values back.
"""
from __future__ import annotations

from typing import Any

import orjson

from gateway.conf import settings
from gateway.errors import InvalidRequestError

ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
# Fields some gateways accept to redirect a call; here the operator alone decides where calls go.
FORBIDDEN_FIELDS = frozenset(
    {"api_base", "base_url", "api_key", "api_version", "custom_llm_provider", "organization", "extra_headers"}
)


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequestError("The request body is not valid JSON.", code="invalid_json") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.", code="invalid_json")
    check_depth(body, settings.GATEWAY_MAX_JSON_DEPTH)
    return body


def check_depth(value: Any, limit: int) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise InvalidRequestError(f"The request body is nested deeper than {limit} levels.", code="too_deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item if isinstance(v, (dict, list)))


def _fail(param: str, message: str) -> InvalidRequestError:
    return InvalidRequestError(message, param=param)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(body: dict, name: str, low: float, high: float) -> None:
    value = body.get(name)
    if value is None:
        return
    if not _is_number(value) or not low <= value <= high:
        raise _fail(name, f"'{name}' must be a number between {low:g} and {high:g}.")


def _check_int(body: dict, name: str, low: int, high: int) -> None:
    value = body.get(name)
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(name, f"'{name}' must be an integer between {low} and {high}.")


def validate_chat_request(body: dict[str, Any]) -> dict[str, Any]:
    """Check the shape of a chat completions body; return it unchanged when it is acceptable."""
    for name in FORBIDDEN_FIELDS.intersection(body):
        raise _fail(name, f"'{name}' is not accepted: the gateway decides where requests go.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip() or len(model) > 200:
        raise _fail("model", "'model' is required: a model id from GET /v1/models, or 'auto'.")
    _check_messages(body.get("messages"))
    if "stream" in body and not isinstance(body["stream"], bool):
        raise _fail("stream", "'stream' must be true or false.")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _fail("stream_options", "'stream_options' must be an object.")
    _check_range(body, "temperature", 0, 2)
    _check_range(body, "top_p", 0, 1)
    _check_range(body, "presence_penalty", -2, 2)
    _check_range(body, "frequency_penalty", -2, 2)
    _check_int(body, "n", 1, settings.GATEWAY_MAX_N)
    _check_int(body, "max_tokens", 1, settings.GATEWAY_MAX_OUTPUT_TOKENS)
    _check_int(body, "max_completion_tokens", 1, settings.GATEWAY_MAX_OUTPUT_TOKENS)
    _check_stop(body.get("stop"))
    _check_tools(body.get("tools"), body.get("tool_choice"))
    _check_response_format(body.get("response_format"))
    return body


def _check_messages(messages: Any) -> None:
    if not isinstance(messages, list) or not messages:
        raise _fail("messages", "'messages' must be a non-empty array.")
    for index, message in enumerate(messages):
        param = f"messages[{index}]"
        if not isinstance(message, dict):
            raise _fail(param, f"'{param}' must be an object.")
        role = message.get("role")
        if role not in ROLES:
            raise _fail(f"{param}.role", f"'{param}.role' must be one of {', '.join(sorted(ROLES))}.")
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):
            raise _fail(f"{param}.content", f"'{param}.content' must be a string or an array of parts.")
        if isinstance(content, list):
            for part_index, part in enumerate(content):
                if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                    raise _fail(f"{param}.content[{part_index}]", "Each content part must be an object with a 'type'.")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise _fail(f"{param}.tool_call_id", f"'{param}.tool_call_id' is required for tool messages.")
        tool_calls = message.get("tool_calls")
        if tool_calls is not None and not isinstance(tool_calls, list):
            raise _fail(f"{param}.tool_calls", f"'{param}.tool_calls' must be an array.")
        if content is None and role != "assistant":
            raise _fail(f"{param}.content", f"'{param}.content' is required.")


def _check_stop(stop: Any) -> None:
    if stop is None or isinstance(stop, str):
        return
    if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) for s in stop):
        raise _fail("stop", "'stop' must be a string or an array of up to 4 strings.")


def _check_tools(tools: Any, tool_choice: Any) -> None:
    if tools is not None:
        if not isinstance(tools, list):
            raise _fail("tools", "'tools' must be an array.")
        for index, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise _fail(f"tools[{index}]", "Each tool must be {'type': 'function', 'function': {'name': ...}}.")
    if tool_choice is None or tool_choice in ("auto", "none", "required"):
        return
    if isinstance(tool_choice, dict) and isinstance(tool_choice.get("function"), dict):
        return
    raise _fail("tool_choice", "'tool_choice' must be 'auto', 'none', 'required' or a function choice.")


def _check_response_format(response_format: Any) -> None:
    if response_format is None:
        return
    if not isinstance(response_format, dict) or response_format.get("type") not in ("text", "json_object", "json_schema"):
        raise _fail("response_format", "'response_format.type' must be 'text', 'json_object' or 'json_schema'.")
