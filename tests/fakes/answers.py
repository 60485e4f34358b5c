"""What the fake vendors answer, in each vendor's wire format.

`decide` reads a vendor request and settles the answer: a tool call of the first tool when the
request has tools and the conversation ends with the user, a text quoting the tool result when
it ends with one, else "Hello from <provider> <model>". Usage is derived from the request
(prompt tokens = words of the conversation) and the answer (completion tokens = its words).
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

_ids = itertools.count(1)
_TEXT_KEYS = {"text", "content", "system", "systemInstruction", "parts", "messages", "contents"}


@dataclass(frozen=True)
class Answer:
    text: str
    tool_name: str | None
    tool_arguments: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int
    serial: int

    @property
    def text_pieces(self) -> list[str]:
        words = self.text.split(" ")
        return [words[0]] + [f" {w}" for w in words[1:]] if self.text else []

    @property
    def argument_pieces(self) -> list[str]:
        encoded = json.dumps(self.tool_arguments)
        third = max(1, len(encoded) // 3)
        return [encoded[:third], encoded[third : 2 * third], encoded[2 * third :]]


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    if isinstance(value, dict):
        return sum(_words(v) for k, v in value.items() if k in _TEXT_KEYS)
    return 0


def arguments_for(schema: Any) -> dict[str, Any]:
    """Arguments satisfying a JSON schema's required properties: {"location": "Paris"}-style."""
    if not isinstance(schema, dict):
        return {}
    properties = schema.get("properties") or {}
    samples = {"string": "Paris", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}
    arguments = {}
    for name in schema.get("required") or []:
        spec = properties.get(name) or {}
        arguments[name] = spec["enum"][0] if spec.get("enum") else samples.get(spec.get("type"), "Paris")
    return arguments


def _tool_result_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_tool_result_text(v) for v in value)
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return value["text"]
    return json.dumps(value)


def decide(provider: str, body: Any, model: str, text: str | None = None) -> Answer:
    body = body if isinstance(body, dict) else {}
    tool, result = None, None
    if provider == "openai":
        messages = body.get("messages") or [{}]
        last = messages[-1] if isinstance(messages[-1], dict) else {}
        if last.get("role") == "tool":
            result = _tool_result_text(last.get("content"))
        elif (body.get("tools") or []) and last.get("role") == "user":
            function = body["tools"][0].get("function", {})
            tool = (function.get("name"), function.get("parameters"))
        prompt = _words(messages)
    elif provider == "anthropic":
        messages = body.get("messages") or [{}]
        last = messages[-1] if isinstance(messages[-1], dict) else {}
        blocks = last.get("content") if isinstance(last.get("content"), list) else []
        results = [b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"]
        if results:
            result = " ".join(_tool_result_text(b.get("content")) for b in results)
        elif (body.get("tools") or []) and last.get("role") == "user":
            tool = (body["tools"][0].get("name"), body["tools"][0].get("input_schema"))
        prompt = _words(messages) + _words(body.get("system"))
    else:
        contents = body.get("contents") or [{}]
        parts = contents[-1].get("parts") or [] if isinstance(contents[-1], dict) else []
        responses = [p["functionResponse"] for p in parts if isinstance(p, dict) and "functionResponse" in p]
        if responses:
            result = " ".join(_tool_result_text(r.get("response")) for r in responses)
        elif body.get("tools"):
            declaration = body["tools"][0]["functionDeclarations"][0]
            tool = (declaration.get("name"), declaration.get("parametersJsonSchema") or declaration.get("parameters"))
        prompt = _words(contents) + _words(body.get("systemInstruction"))
    if text is None:
        text = f"Hello from {provider} {model}" if result is None else f"The tool said: {result}"
    arguments = arguments_for(tool[1]) if tool else None
    completion = len(json.dumps(arguments).split()) if tool else len(text.split())
    return Answer(text=text, tool_name=tool[0] if tool else None, tool_arguments=arguments,
                  prompt_tokens=max(prompt, 1), completion_tokens=completion, serial=next(_ids))  # fmt: skip


def openai_completion(answer: Answer, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer.text, "refusal": None}
    finish = "stop"
    if answer.tool_name:
        message["content"] = None
        message["tool_calls"] = [_openai_call(answer)]
        finish = "tool_calls"
    return {
        "id": f"chatcmpl-fake{answer.serial}", "object": "chat.completion", "created": 1700000000, "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _openai_usage(answer), "system_fingerprint": "fp_fake",
    }  # fmt: skip


def _openai_call(answer: Answer) -> dict[str, Any]:
    arguments = json.dumps(answer.tool_arguments)
    return {"id": f"call_fake{answer.serial}", "type": "function", "function": {"name": answer.tool_name, "arguments": arguments}}


def _openai_usage(answer: Answer) -> dict[str, Any]:
    return {
        "prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.completion_tokens,
        "total_tokens": answer.prompt_tokens + answer.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }  # fmt: skip


def openai_chunks(answer: Answer, model: str, *, include_usage: bool) -> list[dict[str, Any]]:
    def chunk(delta, finish=None, choices=True):
        body = {"id": f"chatcmpl-fake{answer.serial}", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                "system_fingerprint": "fp_fake", "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices else []}  # fmt: skip
        if include_usage:
            body["usage"] = None
        return body

    chunks = [chunk({"role": "assistant", "content": "" if not answer.tool_name else None, "refusal": None})]
    if answer.tool_name:
        call = _openai_call(answer)
        call["function"]["arguments"] = ""
        chunks.append(chunk({"tool_calls": [{"index": 0, **call}]}))
        chunks += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in answer.argument_pieces]
        chunks.append(chunk({}, "tool_calls"))
    else:
        chunks += [chunk({"content": piece}) for piece in answer.text_pieces]
        chunks.append(chunk({}, "stop"))
    if include_usage:
        last = chunk({}, choices=False)
        last["usage"] = _openai_usage(answer)
        chunks.append(last)
    return chunks


def anthropic_message(answer: Answer, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = []
    if answer.tool_name:
        content.append({"type": "tool_use", "id": f"toolu_fake{answer.serial}", "name": answer.tool_name, "input": answer.tool_arguments})
    else:
        content.append({"type": "text", "text": answer.text})
    return {
        "id": f"msg_fake{answer.serial}", "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": "tool_use" if answer.tool_name else "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": answer.prompt_tokens, "output_tokens": answer.completion_tokens,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    }  # fmt: skip


def anthropic_events(answer: Answer, model: str) -> list[tuple[str, dict[str, Any]]]:
    message = anthropic_message(answer, model)
    start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
    events: list[tuple[str, dict[str, Any]]] = [("message_start", {"type": "message_start", "message": start})]
    block = message["content"][0]
    if answer.tool_name:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}}))
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in answer.argument_pieces]
    else:
        events.append(("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))
        deltas = [{"type": "text_delta", "text": p} for p in answer.text_pieces]
    events.append(("ping", {"type": "ping"}))
    events += [("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": d}) for d in deltas]
    events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": None}
    events.append(("message_delta", {"type": "message_delta", "delta": delta, "usage": {"output_tokens": answer.completion_tokens}}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def gemini_response(answer: Answer, model: str, parts: list[dict[str, Any]] | None = None, *, final: bool = True) -> dict[str, Any]:
    if parts is None:
        parts = [{"functionCall": {"name": answer.tool_name, "args": answer.tool_arguments}}] if answer.tool_name else [{"text": answer.text}]
    candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
    usage: dict[str, Any] = {"promptTokenCount": answer.prompt_tokens, "totalTokenCount": answer.prompt_tokens}
    if final:
        candidate["finishReason"] = "STOP"
        usage = {**usage, "candidatesTokenCount": answer.completion_tokens,
                 "totalTokenCount": answer.prompt_tokens + answer.completion_tokens}  # fmt: skip
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": model, "responseId": f"fake{answer.serial}"}


def gemini_stream(answer: Answer, model: str) -> list[dict[str, Any]]:
    if answer.tool_name:
        return [gemini_response(answer, model, [{"text": "Calling a tool."}], final=False), gemini_response(answer, model)]
    pieces = answer.text_pieces
    return [gemini_response(answer, model, [{"text": p}], final=i == len(pieces) - 1) for i, p in enumerate(pieces)]


def error_body(provider: str, status: int) -> dict[str, Any]:
    if provider == "anthropic":
        kind = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": f"Fake {kind}"}}
    if provider == "google":
        kind = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(status, "INTERNAL")
        return {"error": {"code": status, "message": f"Fake {kind}", "status": kind}}
    kind = {400: "invalid_request_error", 401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(status, "server_error")
    return {"error": {"message": f"Fake {kind}", "type": kind, "param": None, "code": kind}}
