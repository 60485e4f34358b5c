"""Gemini `GenerateContentResponse` -> OpenAI: non-stream answers, `alt=sse` stream chunks, errors."""
from __future__ import annotations

import re
from typing import Any

from gateway.providers import openai_shapes as oa
from gateway.providers.base import Completion, ProviderError, SSEEvent, StreamTranslator, Usage, bad_upstream_response
from gateway.providers.errors import decode_json, status_error, vendor_code

VENDOR = "Google"
_FILTERED = {
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
    "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR",
}  # fmt: skip
_DURATION = re.compile(r"(\d+(?:\.\d+)?)s")


def finish_reason(reason: Any, *, has_tool_calls: bool) -> str:
    if reason == "MAX_TOKENS":
        return "length"
    if isinstance(reason, str) and reason in _FILTERED:
        return "content_filter"
    return "tool_calls" if has_tool_calls else "stop"


def usage_from(data: Any) -> Usage:
    """Gemini counts thinking apart from the answer (`thoughtsTokenCount` is not in
    `candidatesTokenCount`); OpenAI includes reasoning in completion_tokens, so we add them."""
    if not isinstance(data, dict):
        raise bad_upstream_response()
    thoughts = oa.count(data.get("thoughtsTokenCount"))
    return Usage(
        prompt_tokens=oa.count(data.get("promptTokenCount")) + oa.count(data.get("toolUsePromptTokenCount")),
        completion_tokens=oa.count(data.get("candidatesTokenCount")) + thoughts,
        cached_tokens=oa.count(data.get("cachedContentTokenCount")),
        reasoning_tokens=thoughts,
    )


def error_from_body(body: Any, *, status: int | None = None) -> ProviderError:
    """`{"error": {"code", "message", "status", "details"}}` (google.rpc.Status)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return status_error(VENDOR, status or 502, code=None)
    if status is None:
        code = error.get("code")
        status = code if isinstance(code, int) and 400 <= code <= 599 else 502
    return status_error(VENDOR, status, code=vendor_code(error.get("status")), retry_after=_retry_delay(error))


def _retry_delay(error: dict[str, Any]) -> float | None:
    details = error.get("details")
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.fullmatch(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


def candidate_parts(body: Any) -> tuple[list[dict[str, Any]], Any, bool]:
    """The first candidate's parts, its finishReason, and whether the prompt was blocked."""
    if not isinstance(body, dict):
        raise bad_upstream_response()
    candidates = body.get("candidates")
    if candidates is None:
        feedback = body.get("promptFeedback")
        return [], None, isinstance(feedback, dict) and bool(feedback.get("blockReason"))
    if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
        raise bad_upstream_response()
    candidate = candidates[0]
    content = candidate.get("content") or {}
    parts = (content.get("parts") or []) if isinstance(content, dict) else None
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise bad_upstream_response()
    return parts, candidate.get("finishReason"), False


def function_call(part: dict[str, Any]) -> tuple[str, str, str]:
    """(tool call id, name, JSON arguments) of a functionCall part; Gemini ids are optional."""
    call = part["functionCall"]
    if not isinstance(call, dict) or not isinstance(call.get("name"), str):
        raise bad_upstream_response()
    call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else oa.new_tool_call_id()
    return call_id, call["name"], oa.json_arguments(call.get("args") or {})


def parse_generate_content(payload: bytes, *, model: str, response_id: str, created: int) -> Completion:
    body = decode_json(payload)
    if isinstance(body, dict) and "error" in body:
        raise error_from_body(body)
    parts, reason, blocked = candidate_parts(body)
    texts: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for part in parts:
        if part.get("thought") is True:
            continue  # thought summaries are not part of the answer
        if "functionCall" in part:
            tool_calls.append(oa.tool_call(*function_call(part)))
        elif isinstance(part.get("text"), str):
            texts.append(part["text"])
    usage = usage_from(body.get("usageMetadata") or {})
    finish = "content_filter" if blocked else finish_reason(reason, has_tool_calls=bool(tool_calls))
    return oa.completion(
        response_id=response_id, created=created, model=model, texts=texts, tool_calls=tool_calls,
        finish_reason=finish, usage=usage,
    )


class GoogleStreamTranslator(StreamTranslator):
    """Each SSE event is a whole GenerateContentResponse; the one carrying a finishReason ends
    the answer (later events may still update the usage). Function calls arrive whole: one
    tool-call delta each, with id, name and the complete arguments."""

    def __init__(self, *, model: str, response_id: str, created: int):
        super().__init__(model=model, response_id=response_id, created=created)
        self._started = False
        self._tool_calls = 0

    def feed(self, event: SSEEvent) -> list[dict[str, Any]]:
        body = decode_json(event.data)
        if isinstance(body, dict) and "error" in body:
            raise error_from_body(body)
        parts, reason, blocked = candidate_parts(body)
        if body.get("usageMetadata") is not None:
            self.usage = usage_from(body["usageMetadata"])
        chunks: list[dict[str, Any]] = []
        if not self._started:
            self._started = True
            chunks.append(self.chunk({"role": "assistant", "content": ""}))
        for part in parts:
            if part.get("thought") is True:
                continue
            if "functionCall" in part:
                call_id, name, arguments = function_call(part)
                call = {"index": self._tool_calls, "id": call_id, "type": "function",
                        "function": {"name": name, "arguments": arguments}}  # fmt: skip
                self._tool_calls += 1
                chunks.append(self.chunk({"tool_calls": [call]}))
            elif isinstance(part.get("text"), str) and part["text"]:
                chunks.append(self.chunk({"content": part["text"]}))
        if (reason or blocked) and not self.is_complete:
            self.finish_reason = "content_filter" if blocked else finish_reason(reason, has_tool_calls=self._tool_calls > 0)
            self.is_complete = True
            chunks.append(self.chunk({}, self.finish_reason))
        return chunks
