"""OpenAI Chat Completions request -> Gemini `generateContent` request body (REST, camelCase)."""
from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from gateway.providers import openai_shapes as oa
from gateway.providers.errors import invalid_request

VENDOR = "Google"
# Gemini 3 rejects replayed function calls without the thought signature it issued; the gateway
# does not keep signatures, so it sends the sentinel Google documents for such histories
# (ai.google.dev/gemini-api/docs/thought-signatures, FAQ). Gemini 2.x ignores it.
SKIP_SIGNATURE = "skip_thought_signature_validator"
TOOL_CHOICE_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def endpoint(base_url: str, model: str, *, stream: bool) -> str:
    model = quote(model.removeprefix("models/"), safe="-._~")
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"{base_url.rstrip('/')}/v1beta/models/{model}:{method}"


def generate_body(request: dict[str, Any]) -> dict[str, Any]:
    oa.reject_untranslatable(request, VENDOR)
    system, contents = _conversation(oa.messages_of(request))
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    tools = _tools(request)
    if tools:
        body.update(tools)
    config = _generation_config(request)
    if config:
        body["generationConfig"] = config
    return body


def _conversation(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    system: list[str] = []
    contents: list[dict[str, Any]] = []
    names_by_call_id: dict[str, str] = {}
    for message in messages:
        role = message["role"]
        if role in oa.SYSTEM_ROLES:
            text = oa.plain_text(message.get("content"), role)
            if text:
                system.append(text)
        elif role == "user":
            parts = [_user_part(part) for part in oa.user_parts(message.get("content"))]
            _append(contents, "user", [p for p in parts if p.get("text", True)])
        elif role == "assistant":
            _append(contents, "model", _model_parts(message, names_by_call_id))
        elif role == "tool":
            _append(contents, "user", [_function_response(message, names_by_call_id)])
        else:
            raise invalid_request(f"Messages with role '{role}' are not supported.")
    for content in contents:
        if content["role"] == "model":
            calls = [p for p in content["parts"] if "functionCall" in p]
            if calls:
                calls[0]["thoughtSignature"] = SKIP_SIGNATURE
    return system, contents


def _append(contents: list[dict[str, Any]], role: str, parts: list[dict[str, Any]]) -> None:
    if not parts:
        return
    if contents and contents[-1]["role"] == role:
        contents[-1]["parts"].extend(parts)
    else:
        contents.append({"role": role, "parts": parts})


def _user_part(part: str | oa.Image) -> dict[str, Any]:
    if isinstance(part, str):
        return {"text": part}
    if part.url is None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    mime_type = mimetypes.guess_type(urlsplit(part.url).path)[0] or "image/jpeg"
    return {"fileData": {"mimeType": mime_type, "fileUri": part.url}}


def _model_parts(message: dict[str, Any], names_by_call_id: dict[str, str]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    text = oa.plain_text(message.get("content"), "assistant")
    if text:
        parts.append({"text": text})
    for call_id, name, arguments in oa.tool_calls_of(message):
        names_by_call_id[call_id] = name
        parts.append({"functionCall": {"name": name, "args": arguments}})
    return parts


def _function_response(message: dict[str, Any], names_by_call_id: dict[str, str]) -> dict[str, Any]:
    """Gemini matches a result to its call by function name, recovered from the assistant turn."""
    call_id = message.get("tool_call_id")
    name = names_by_call_id.get(call_id) if isinstance(call_id, str) else None
    if name is None:
        raise invalid_request("A tool message's 'tool_call_id' matches no earlier assistant tool call.")
    text = oa.plain_text(message.get("content"), "tool")
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        value = None
    response = value if isinstance(value, dict) else {"result": text}
    return {"functionResponse": {"name": name, "response": response}}


def _tools(request: dict[str, Any]) -> dict[str, Any]:
    functions = oa.function_tools(request)
    choice = oa.tool_choice_of(request)
    if not functions:
        return {}
    declarations = []
    for function in functions:
        declaration: dict[str, Any] = {"name": function["name"]}
        if isinstance(function.get("description"), str):
            declaration["description"] = function["description"]
        if function.get("parameters"):
            declaration["parametersJsonSchema"] = function["parameters"]
        declarations.append(declaration)
    result: dict[str, Any] = {"tools": [{"functionDeclarations": declarations}]}
    if isinstance(choice, tuple):
        config = {"mode": "ANY", "allowedFunctionNames": [choice[1]]}
        result["toolConfig"] = {"functionCallingConfig": config}
    elif choice is not None:
        result["toolConfig"] = {"functionCallingConfig": {"mode": TOOL_CHOICE_MODES[choice]}}
    return result


def _generation_config(request: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for openai_name, gemini_name in (
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
    ):
        value = oa.number(request, openai_name)
        if value is not None and (value != 0 or not openai_name.endswith("_penalty")):
            config[gemini_name] = value  # a zero penalty is the default, and some Gemini models refuse penalties
    max_tokens = oa.max_output_tokens(request)
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = oa.stop_sequences(request)
    if stop:
        config["stopSequences"] = stop
    seed = request.get("seed")
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise invalid_request("'seed' must be an integer.")
        config["seed"] = seed
    kind, schema = oa.response_format_of(request)
    if kind != "text":
        config["responseMimeType"] = "application/json"
    if schema is not None:
        config["responseJsonSchema"] = schema
    return config
