"""OpenAI Chat Completions request -> Anthropic Messages request body."""
from __future__ import annotations

from typing import Any

from gateway.providers import openai_shapes as oa
from gateway.providers.errors import invalid_request

VENDOR = "Anthropic"
JSON_OBJECT_INSTRUCTION = "Respond with a single valid JSON object and nothing else: no prose, no code fences."


def messages_body(request: dict[str, Any], *, model: str, default_max_tokens: int, stream: bool) -> dict[str, Any]:
    oa.reject_untranslatable(request, VENDOR)
    system, messages = _conversation(oa.messages_of(request))
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": oa.max_output_tokens(request) or default_max_tokens,
        "messages": messages,
    }
    kind, schema = oa.response_format_of(request)
    if kind == "json_object":
        system.append(JSON_OBJECT_INSTRUCTION)
    elif kind == "json_schema":
        body["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    if system:
        body["system"] = "\n\n".join(system)
    stop = oa.stop_sequences(request)
    if stop:
        body["stop_sequences"] = stop
    # temperature/top_p are validated but not sent: Anthropic deprecated the sampling parameters
    # (newer Claude models answer 400 to them; the SDK no longer has them).
    oa.number(request, "temperature")
    oa.number(request, "top_p")
    _add_tools(request, body)
    user = request.get("user")
    if isinstance(user, str) and user:
        body["metadata"] = {"user_id": user}
    if stream:
        body["stream"] = True
    return body


def _conversation(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """System texts (hoisted from anywhere) and alternating user/assistant messages."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role in oa.SYSTEM_ROLES:
            text = oa.plain_text(message.get("content"), role)
            if text:
                system.append(text)
            continue
        if role == "user":
            blocks = [_user_block(part) for part in oa.user_parts(message.get("content"))]
            blocks = [b for b in blocks if b.get("type") != "text" or b["text"]]
            _append(turns, "user", blocks)  # an empty message is left out: Anthropic rejects it
        elif role == "assistant":
            _append(turns, "assistant", _assistant_blocks(message))
        elif role == "tool":
            _append(turns, "user", [_tool_result(message)])
        else:
            raise invalid_request(f"Messages with role '{role}' are not supported.")
    return system, turns


def _append(turns: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    if not blocks:
        return
    if turns and turns[-1]["role"] == role:
        turns[-1]["content"].extend(blocks)
    else:
        turns.append({"role": role, "content": blocks})


def _user_block(part: str | oa.Image) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if part.url is not None:
        return {"type": "image", "source": {"type": "url", "url": part.url}}
    return {"type": "image", "source": {"type": "base64", "media_type": part.media_type, "data": part.data}}


def _assistant_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = oa.plain_text(message.get("content"), "assistant")
    if text:  # Anthropic rejects empty text blocks
        blocks.append({"type": "text", "text": text})
    for call_id, name, arguments in oa.tool_calls_of(message):
        blocks.append({"type": "tool_use", "id": call_id, "name": name, "input": arguments})
    return blocks


def _tool_result(message: dict[str, Any]) -> dict[str, Any]:
    call_id = message.get("tool_call_id")
    if not isinstance(call_id, str) or not call_id:
        raise invalid_request("A tool message needs a 'tool_call_id'.")
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": call_id}
    text = oa.plain_text(message.get("content"), "tool")
    if text:
        block["content"] = text
    return block


def _add_tools(request: dict[str, Any], body: dict[str, Any]) -> None:
    functions = oa.function_tools(request)
    choice = oa.tool_choice_of(request)
    if not functions:
        return
    tools = []
    for function in functions:
        tool: dict[str, Any] = {
            "name": function["name"],
            "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
        }
        if isinstance(function.get("description"), str):
            tool["description"] = function["description"]
        tools.append(tool)
    body["tools"] = tools
    tool_choice: dict[str, Any] | None
    if choice is None:
        tool_choice = None
    elif isinstance(choice, tuple):
        tool_choice = {"type": "tool", "name": choice[1]}
    else:
        tool_choice = {"type": {"auto": "auto", "none": "none", "required": "any"}[choice]}
    if request.get("parallel_tool_calls") is False and (tool_choice or {}).get("type") != "none":
        tool_choice = {**(tool_choice or {"type": "auto"}), "disable_parallel_tool_use": True}
    if tool_choice is not None:
        body["tool_choice"] = tool_choice
