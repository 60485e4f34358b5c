"""Anthropic's Messages API (`POST {base_url}/v1/messages`, `x-api-key`, `anthropic-version: 2023-06-01`).

Request translation (OpenAI -> Anthropic):
- `system` and `developer` messages, wherever they appear, are joined into the top-level `system`.
- Consecutive same-role turns are merged (tool results become `tool_result` blocks of one user
  turn, as Anthropic requires after a turn with several `tool_use` blocks); empty texts are left
  out because Anthropic rejects empty text blocks.
- Assistant `tool_calls` -> `tool_use` blocks (ids kept); `tool` messages -> `tool_result`.
- Image parts: data URLs -> `source.type = base64`, http(s) URLs -> `source.type = url`.
- `tools` -> `{name, description, input_schema}`; `tool_choice` auto/none/required/named ->
  `{"type": auto|none|any|tool}`; `parallel_tool_calls: false` -> `disable_parallel_tool_use`.
- `max_completion_tokens` / `max_tokens`, else `default_max_tokens` (4096): Anthropic requires it.
- `stop` -> `stop_sequences`, `user` -> `metadata.user_id`. `temperature` and `top_p` are
  checked but not sent: Anthropic deprecated its sampling parameters (the SDK dropped them and
  Claude models from Opus 4.7 on answer 400 to them), so sending them would break requests on
  new models while older ones fall back to their defaults. `seed` has no equivalent and is
  ignored. `n` > 1, `logprobs`, `audio`, `prediction` and the legacy `functions` are refused
  with 400 `unsupported_parameter` rather than silently dropped.
- JSON output: Anthropic has no "JSON mode". `response_format: json_schema` uses Anthropic's
  structured outputs (`output_config.format = {"type": "json_schema", "schema": ...}`), which
  guarantees schema-valid JSON on models that support it (older models answer 400, which is not
  retried). `json_object` adds an instruction to the system prompt asking for a single JSON
  object: it works on every model but is a request, not a guarantee.

Answer translation: text blocks -> `content`, `tool_use` -> `tool_calls`, thinking blocks are
dropped; `stop_reason` -> `finish_reason` (end_turn/stop_sequence -> stop, max_tokens -> length,
tool_use -> tool_calls, refusal -> content_filter). Usage: `prompt_tokens` = input_tokens +
cache_read_input_tokens + cache_creation_input_tokens, `cached_tokens` = cache reads,
`reasoning_tokens` = `output_tokens_details.thinking_tokens` when reported (included in
`completion_tokens`, as OpenAI counts reasoning).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import orjson

from gateway.providers.anthropic.request import messages_body
from gateway.providers.anthropic.response import AnthropicStreamTranslator, error_from_body, parse_message
from gateway.providers.base import Completion, ProviderAdapter, ProviderError, StreamTranslator, UpstreamRequest
from gateway.providers.errors import retry_after_seconds, status_error

API_VERSION = "2023-06-01"


@dataclass
class AnthropicAdapter(ProviderAdapter):
    slug: ClassVar[str] = "anthropic"

    def build_request(
        self, request: dict[str, Any], *, model: str, api_key: str, base_url: str, stream: bool
    ) -> UpstreamRequest:
        body = messages_body(request, model=model, default_max_tokens=self.default_max_tokens, stream=stream)
        headers = {
            "x-api-key": api_key,
            "anthropic-version": API_VERSION,
            "content-type": "application/json",
            "accept": "text/event-stream" if stream else "application/json",
        }
        return UpstreamRequest(url=f"{base_url.rstrip('/')}/v1/messages", headers=headers, body=orjson.dumps(body))

    def parse_response(self, payload: bytes, *, model: str, response_id: str, created: int) -> Completion:
        return parse_message(payload, model=model, response_id=response_id, created=created)

    def new_stream(self, *, model: str, response_id: str, created: int) -> StreamTranslator:
        return AnthropicStreamTranslator(model=model, response_id=response_id, created=created)

    def parse_error(self, status: int, headers: Mapping[str, str], payload: bytes) -> ProviderError:
        try:
            body = orjson.loads(payload)
        except (orjson.JSONDecodeError, TypeError):
            return status_error("Anthropic", status, code=None, retry_after=retry_after_seconds(headers))
        error = error_from_body(body, status=status)
        error.retry_after = retry_after_seconds(headers)
        return error


__all__ = ["AnthropicAdapter", "AnthropicStreamTranslator"]
