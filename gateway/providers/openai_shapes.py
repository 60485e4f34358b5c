"""Reading OpenAI Chat Completions requests and writing OpenAI answers, for the translating adapters.

The readers validate as they go: a shape the gateway cannot translate raises `ProviderError`
400 (`invalid_request` / `unsupported_parameter`), never KeyError or TypeError. The writers
build `chat.completion` bodies that the official `openai` SDK parses.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.providers.base import Completion, Usage, bad_upstream_response
from gateway.providers.errors import invalid_request, unsupported_parameter

SYSTEM_ROLES = frozenset({"system", "developer"})


@dataclass(frozen=True)
class Image:
    """An image part: `data` (base64) with `media_type` for a data URL, else a plain `url`."""

    url: str | None = None
    media_type: str | None = None
    data: str | None = None


def messages_of(request: dict[str, Any]) -> list[dict[str, Any]]:
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid_request("'messages' must be a non-empty list.")
    for message in messages:
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise invalid_request("Each message must be an object with a 'role'.")
    return messages


def plain_text(content: Any, role: str) -> str:
    """The text of a system/developer/tool/assistant content: a string or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict):
                raise invalid_request(f"A {role} message has an invalid content part.")
            kind = part.get("type")
            if kind in ("text", "refusal"):
                text = part.get(kind)
                if not isinstance(text, str):
                    raise invalid_request(f"A {role} message has a {kind} part without text.")
                texts.append(text)
            else:
                raise invalid_request(f"A {role} message may only contain text parts.", code="unsupported_content")
        return "".join(texts) if role == "assistant" else "\n".join(texts)
    raise invalid_request(f"A {role} message has invalid content.")


def user_parts(content: Any) -> list[str | Image]:
    """A user message's content as text strings and `Image`s, in order."""
    if isinstance(content, str):
        return [content]
    if not isinstance(content, list):
        raise invalid_request("A user message needs content.")
    parts: list[str | Image] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            parts.append(part["text"])
        elif kind == "image_url":
            parts.append(image_of(part.get("image_url")))
        elif kind in ("input_audio", "file"):
            raise invalid_request(f"Content parts of type '{kind}' are not supported for this model.", code="unsupported_content")
        else:
            raise invalid_request("A user message has an invalid content part.")
    return parts


def image_of(image_url: Any) -> Image:
    url = image_url.get("url") if isinstance(image_url, dict) else image_url
    if not isinstance(url, str) or not url:
        raise invalid_request("An image_url part needs a 'url'.")
    if url.startswith("data:"):
        header, comma, data = url[5:].partition(",")
        media_type, _, encoding = header.partition(";")
        if not comma or encoding != "base64" or not media_type or not data:
            raise invalid_request("An image data URL must look like data:<media type>;base64,<data>.")
        return Image(media_type=media_type.lower(), data=data)
    if not url.startswith(("http://", "https://")):
        raise invalid_request("An image URL must be http(s) or a base64 data URL.")
    return Image(url=url)


def tool_calls_of(message: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """An assistant message's tool calls as (id, function name, arguments object)."""
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise invalid_request("'tool_calls' must be a list.")
    result = []
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not isinstance(call.get("id"), str):
            raise invalid_request("Each tool call needs an 'id' and a function 'name'.")
        result.append((call["id"], function["name"], arguments_object(function.get("arguments"))))
    return result


def arguments_object(arguments: Any) -> dict[str, Any]:
    if arguments in (None, ""):
        return {}
    if isinstance(arguments, dict):
        return arguments
    try:
        value = orjson.loads(arguments)
    except (orjson.JSONDecodeError, TypeError):
        raise invalid_request("Tool call arguments must be a JSON object.") from None
    if not isinstance(value, dict):
        raise invalid_request("Tool call arguments must be a JSON object.")
    return value


def function_tools(request: dict[str, Any]) -> list[dict[str, Any]]:
    """The `function` objects of `tools` (name, description?, parameters?)."""
    tools = request.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid_request("'tools' must be a list.")
    functions = []
    for tool in tools:
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            raise invalid_request("Only tools of type 'function' are supported for this model.", code="unsupported_parameter")
        function = tool.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise invalid_request("Each tool needs a function 'name'.")
        parameters = function.get("parameters")
        if parameters is not None and not isinstance(parameters, dict):
            raise invalid_request("A tool's 'parameters' must be a JSON schema object.")
        functions.append(function)
    return functions


def tool_choice_of(request: dict[str, Any]) -> str | tuple[str, str] | None:
    """None, "auto", "none", "required" or ("function", name)."""
    choice = request.get("tool_choice")
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function":
        function = choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return ("function", function["name"])
    raise invalid_request("'tool_choice' must be 'auto', 'none', 'required' or a named function.")


def response_format_of(request: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """("text" | "json_object" | "json_schema", the schema for json_schema)."""
    response_format = request.get("response_format")
    if response_format is None:
        return "text", None
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind in ("text", "json_object"):
        return kind, None
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise invalid_request("'response_format.json_schema.schema' must be a JSON schema object.")
        return kind, schema
    raise invalid_request("'response_format.type' must be 'text', 'json_object' or 'json_schema'.")


def stop_sequences(request: dict[str, Any]) -> list[str] | None:
    stop = request.get("stop")
    if stop is None:
        return None
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return stop
    raise invalid_request("'stop' must be a string or a list of strings.")


def max_output_tokens(request: dict[str, Any]) -> int | None:
    for name in ("max_completion_tokens", "max_tokens"):
        value = request.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise invalid_request(f"'{name}' must be a positive integer.")
        return value
    return None


def number(request: dict[str, Any], name: str) -> float | None:
    value = request.get(name)
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise invalid_request(f"'{name}' must be a number.")
    return value


# Parameters whose silent omission would change what the client gets back.
_UNTRANSLATABLE = ("functions", "function_call", "audio", "prediction", "logprobs", "top_logprobs")


def reject_untranslatable(request: dict[str, Any], vendor: str) -> None:
    """400 `unsupported_parameter` for n > 1 and parameters the vendor has no equivalent for."""
    n = request.get("n")
    if n is not None and n != 1:
        raise unsupported_parameter("n", vendor)
    for name in _UNTRANSLATABLE:
        if request.get(name) not in (None, False):
            raise unsupported_parameter(name, vendor)


def count(value: Any) -> int:
    """A token count from a vendor body: absent is 0, anything but a non-negative int is malformed."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad_upstream_response()
    return value


def new_tool_call_id() -> str:
    return f"call_{secrets.token_hex(12)}"


def json_arguments(value: Any) -> str:
    return orjson.dumps(value).decode() if value is not None else "{}"


def completion_body(
    *,
    response_id: str,
    created: int,
    model: str,
    content: str | None,
    tool_calls: list[dict[str, Any]],
    finish_reason: str,
    usage: Usage,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": usage.to_openai(),
    }


def completion(
    *,
    response_id: str,
    created: int,
    model: str,
    texts: list[str],
    tool_calls: list[dict[str, Any]],
    finish_reason: str,
    usage: Usage,
) -> Completion:
    """A translated non-stream answer: the text parts joined (None when only tools were called)."""
    text = "".join(texts)
    body = completion_body(
        response_id=response_id,
        created=created,
        model=model,
        content=text if text or not tool_calls else None,
        tool_calls=tool_calls,
        finish_reason=finish_reason,
        usage=usage,
    )
    return Completion(body=body, usage=usage, finish_reason=finish_reason)


def tool_call(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
