"""Anthropic Messages answers -> OpenAI: the non-stream message, stream events and errors."""
from __future__ import annotations

from typing import Any

from gateway.providers import openai_shapes as oa
from gateway.providers.base import Completion, ProviderError, SSEEvent, StreamTranslator, Usage, bad_upstream_response
from gateway.providers.errors import decode_json, status_error, vendor_code

VENDOR = "Anthropic"
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# Anthropic's error types (docs: "Errors") and the HTTP status each comes with.
ERROR_STATUSES = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


def finish_reason(stop_reason: Any) -> str:
    return FINISH_REASONS.get(stop_reason, "stop") if isinstance(stop_reason, str) else "stop"


def usage_from(data: Any, previous: Usage | None = None) -> Usage:
    """Anthropic's input_tokens exclude cache reads and writes; OpenAI's prompt_tokens include them.
    A field missing from a stream's message_delta keeps the value seen in message_start."""
    if not isinstance(data, dict):
        raise bad_upstream_response()
    previous = previous or Usage()
    cache_read = data.get("cache_read_input_tokens")
    cache_write = data.get("cache_creation_input_tokens")
    input_tokens = data.get("input_tokens")
    if input_tokens is None and cache_read is None and cache_write is None:
        prompt, cached = previous.prompt_tokens, previous.cached_tokens
    else:
        prompt = oa.count(input_tokens) + oa.count(cache_read) + oa.count(cache_write)
        cached = oa.count(cache_read)
    details = data.get("output_tokens_details")
    reasoning = previous.reasoning_tokens
    if isinstance(details, dict):
        reasoning = oa.count(details.get("thinking_tokens"))
    elif details is not None:
        raise bad_upstream_response()
    output = data.get("output_tokens")
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=previous.completion_tokens if output is None else oa.count(output),
        cached_tokens=cached,
        reasoning_tokens=reasoning,
    )


def error_from_body(body: Any, *, status: int | None = None) -> ProviderError:
    error = body.get("error") if isinstance(body, dict) else None
    kind = vendor_code(error.get("type")) if isinstance(error, dict) else None
    return status_error(VENDOR, status or ERROR_STATUSES.get(kind, 502), code=kind)


def parse_message(payload: bytes, *, model: str, response_id: str, created: int) -> Completion:
    body = decode_json(payload)
    if isinstance(body, dict) and body.get("type") == "error":
        raise error_from_body(body)
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, list):
        raise bad_upstream_response()
    texts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text" and isinstance(block.get("text"), str):
            texts.append(block["text"])
        elif kind == "tool_use":
            if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
                raise bad_upstream_response()
            tool_calls.append(oa.tool_call(block["id"], block["name"], oa.json_arguments(block.get("input"))))
        elif kind is None:
            raise bad_upstream_response()
        # thinking, redacted_thinking and server-tool blocks have no OpenAI equivalent
    usage = usage_from(body.get("usage"))
    reason = finish_reason(body.get("stop_reason"))
    return oa.completion(
        response_id=response_id, created=created, model=model, texts=texts, tool_calls=tool_calls,
        finish_reason=reason, usage=usage,
    )


class AnthropicStreamTranslator(StreamTranslator):
    """message_start, then content blocks (start / delta* / stop), message_delta, message_stop.
    `ping` and unknown events are ignored, as Anthropic's versioning policy asks."""

    def __init__(self, *, model: str, response_id: str, created: int):
        super().__init__(model=model, response_id=response_id, created=created)
        self._tool_index: dict[int, int] = {}  # Anthropic block index -> OpenAI tool_calls index

    def feed(self, event: SSEEvent) -> list[dict[str, Any]]:
        body = decode_json(event.data)
        if not isinstance(body, dict):
            raise bad_upstream_response()
        kind = body.get("type")
        if kind == "content_block_delta":
            return self._delta(body)
        if kind == "content_block_start":
            return self._block_start(body)
        if kind == "message_start":
            message = body.get("message")
            if not isinstance(message, dict):
                raise bad_upstream_response()
            self.usage = usage_from(message.get("usage") or {})
            return [self.chunk({"role": "assistant", "content": ""})]
        if kind == "message_delta":
            delta = body.get("delta")
            if not isinstance(delta, dict):
                raise bad_upstream_response()
            if body.get("usage") is not None:
                self.usage = usage_from(body["usage"], self.usage)
            if delta.get("stop_reason") is None:
                return []
            self.finish_reason = finish_reason(delta["stop_reason"])
            return [self.chunk({}, self.finish_reason)]
        if kind == "message_stop":
            self.is_complete = True
        elif kind == "error":
            raise error_from_body(body)
        return []

    def _block_start(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        block, index = body.get("content_block"), body.get("index")
        if not isinstance(block, dict) or not isinstance(index, int):
            raise bad_upstream_response()
        if block.get("type") == "text" and isinstance(block.get("text"), str) and block["text"]:
            return [self.chunk({"content": block["text"]})]
        if block.get("type") != "tool_use":
            return []
        if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str):
            raise bad_upstream_response()
        position = self._tool_index[index] = len(self._tool_index)
        call = {"index": position, "id": block["id"], "type": "function", "function": {"name": block["name"], "arguments": ""}}
        return [self.chunk({"tool_calls": [call]})]

    def _delta(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        delta, index = body.get("delta"), body.get("index")
        if not isinstance(delta, dict):
            raise bad_upstream_response()
        kind = delta.get("type")
        if kind == "text_delta":
            text = delta.get("text")
            if not isinstance(text, str):
                raise bad_upstream_response()
            return [self.chunk({"content": text})] if text else []
        if kind == "input_json_delta":
            partial = delta.get("partial_json")
            if not isinstance(partial, str) or not isinstance(index, int) or index not in self._tool_index:
                raise bad_upstream_response()
            if not partial:
                return []
            call = {"index": self._tool_index[index], "function": {"arguments": partial}}
            return [self.chunk({"tool_calls": [call]})]
        return []  # thinking_delta, signature_delta, citations_delta: nothing to forward
