"""OpenAI Chat Completions, and any OpenAI-compatible server.

`base_url` includes the API version (`https://api.openai.com/v1`); the request goes to
`{base_url}/chat/completions` with `Authorization: Bearer <key>`.

Requests pass through almost unchanged: `model` becomes the vendor model id, gateway-only fields
(`GATEWAY_ONLY_FIELDS`) are dropped, and streams always ask for
`stream_options.include_usage` because billing needs the usage; the translator keeps that usage
in `.usage` and drops the usage-only chunk (the pipeline re-adds it when the client asked).
`stream_options` is removed from non-stream requests (OpenAI rejects it there).

Answers keep OpenAI's shape, with `id`, `created` and `model` set by the gateway. Usage:
`prompt_tokens_details.cached_tokens` and `completion_tokens_details.reasoning_tokens` (reasoning
tokens are part of `completion_tokens`, as OpenAI counts them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import orjson

from gateway.providers.base import (
    Completion,
    ProviderAdapter,
    ProviderError,
    SSEEvent,
    StreamTranslator,
    UpstreamRequest,
    Usage,
    bad_upstream_response,
)
from gateway.providers.errors import decode_json, retry_after_seconds, status_error, vendor_code
from gateway.providers.openai_shapes import count

# Fields the gateway's /v1 API accepts that are not OpenAI's; they never go upstream.
GATEWAY_ONLY_FIELDS = frozenset({"fallbacks", "gateway", "cache", "routing"})
# Statuses OpenAI uses for errors that are not worth retrying even though the status is (429).
_NOT_RETRYABLE_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


def usage_from(data: Any) -> Usage:
    if not isinstance(data, dict):
        raise bad_upstream_response()
    prompt_details = data.get("prompt_tokens_details") or {}
    completion_details = data.get("completion_tokens_details") or {}
    if not isinstance(prompt_details, dict) or not isinstance(completion_details, dict):
        raise bad_upstream_response()
    return Usage(
        prompt_tokens=count(data.get("prompt_tokens")),
        completion_tokens=count(data.get("completion_tokens")),
        cached_tokens=count(prompt_details.get("cached_tokens")),
        reasoning_tokens=count(completion_details.get("reasoning_tokens")),
    )


def _choices(body: Any) -> list[dict[str, Any]]:
    choices = body.get("choices") if isinstance(body, dict) else None
    if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
        raise bad_upstream_response()
    return choices


def _error_in(body: Any) -> ProviderError | None:
    """An `{"error": {...}}` object sent with a 200 or inside a stream."""
    if not isinstance(body, dict) or "error" not in body:
        return None
    error = body["error"]
    code = None
    if isinstance(error, dict):
        code = vendor_code(error.get("code")) or vendor_code(error.get("type"))
    retryable = code not in _NOT_RETRYABLE_CODES and code not in ("invalid_request_error", "context_length_exceeded")
    status = 502 if retryable else 400
    return status_error("OpenAI", status, code=code, is_retryable=retryable)


class OpenAIStreamTranslator(StreamTranslator):
    def feed(self, event: SSEEvent) -> list[dict[str, Any]]:
        data = event.data
        if data == "[DONE]":
            self.is_complete = True
            return []
        body = decode_json(data)
        error = _error_in(body)
        if error is not None:
            raise error
        choices = _choices(body)
        usage = body.get("usage")
        if usage is not None:
            self.usage = usage_from(usage)
        if not choices:
            return []  # the usage-only chunk: the pipeline re-adds it when the client asked
        for choice in choices:
            if choice.get("index", 0) == 0 and choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        body.pop("usage", None)
        body["id"] = self.response_id
        body["model"] = self.model
        body["created"] = self.created
        body["object"] = "chat.completion.chunk"
        return [body]


@dataclass
class OpenAIAdapter(ProviderAdapter):
    slug: ClassVar[str] = "openai"

    def build_request(
        self, request: dict[str, Any], *, model: str, api_key: str, base_url: str, stream: bool
    ) -> UpstreamRequest:
        body = {k: v for k, v in request.items() if k not in GATEWAY_ONLY_FIELDS}
        body["model"] = model
        if stream:
            options = body.get("stream_options")
            body["stream"] = True
            body["stream_options"] = {**(options if isinstance(options, dict) else {}), "include_usage": True}
        else:
            body.pop("stream", None)
            body.pop("stream_options", None)
        headers = {
            "Authorization": f"Bearer {api_key}",
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        return UpstreamRequest(url=f"{base_url.rstrip('/')}/chat/completions", headers=headers, body=orjson.dumps(body))

    def parse_response(self, payload: bytes, *, model: str, response_id: str, created: int) -> Completion:
        body = decode_json(payload)
        error = _error_in(body)
        if error is not None:
            raise error
        choices = _choices(body)
        if not choices or not all(isinstance(c.get("message"), dict) for c in choices):
            raise bad_upstream_response()
        usage = usage_from(body.get("usage") or {})
        body.update(id=response_id, object="chat.completion", created=created, model=model)
        if not isinstance(body.get("usage"), dict):
            body["usage"] = usage.to_openai()
        return Completion(body=body, usage=usage, finish_reason=choices[0].get("finish_reason"))

    def new_stream(self, *, model: str, response_id: str, created: int) -> StreamTranslator:
        return OpenAIStreamTranslator(model=model, response_id=response_id, created=created)

    def parse_error(self, status: int, headers: Mapping[str, str], payload: bytes) -> ProviderError:
        code = None
        retryable = None
        try:
            error = orjson.loads(payload).get("error")
        except (orjson.JSONDecodeError, AttributeError, TypeError):
            error = None
        if isinstance(error, dict):
            code = vendor_code(error.get("code")) or vendor_code(error.get("type"))
            if code in _NOT_RETRYABLE_CODES:
                retryable = False
        return status_error("OpenAI", status, code=code, retry_after=retry_after_seconds(headers), is_retryable=retryable)
