"""Google's Gemini API: `POST {base_url}/v1beta/models/{model}:generateContent`, and
`:streamGenerateContent?alt=sse` for streams. The key goes in the `x-goog-api-key` header, never
in the URL (URLs end up in logs).

Request translation (OpenAI -> Gemini):
- `system` / `developer` messages -> `systemInstruction`; assistant -> role `model`; consecutive
  same-role turns are merged (tool results for one model turn become one user turn).
- Assistant `tool_calls` -> `functionCall` parts; `tool` messages -> `functionResponse` parts
  whose `name` is recovered from the earlier assistant tool call with that id (Gemini matches by
  name). A JSON-object tool result is sent as the response object, anything else as
  `{"result": <text>}`. The first `functionCall` of each model turn carries Google's documented
  `skip_thought_signature_validator` signature, since Gemini 3 refuses replayed calls without one.
- Images: data URLs -> `inlineData`, http(s) URLs -> `fileData` (MIME type guessed from the path,
  `image/jpeg` when unknown).
- `tools` -> `functionDeclarations` with `parametersJsonSchema` (full JSON Schema, as OpenAI
  clients write it); `tool_choice` auto/none/required -> AUTO/NONE/ANY, a named function -> ANY
  with `allowedFunctionNames`.
- `generationConfig`: temperature, topP, presence/frequency penalties, maxOutputTokens (from
  `max_completion_tokens` or `max_tokens`), stopSequences, seed; `response_format` json_object ->
  `responseMimeType: application/json`, json_schema -> also `responseJsonSchema`.
- `n` > 1, `logprobs`, `audio`, `prediction` and the legacy `functions` are refused with 400
  `unsupported_parameter`; `user` has no equivalent and is dropped.

Answer translation: text parts -> `content` (thought summaries dropped), `functionCall` parts ->
`tool_calls` with the vendor's id when it sends one, else a generated `call_<hex>`;
finishReason STOP -> stop (tool_calls when the answer calls functions), MAX_TOKENS -> length,
SAFETY/RECITATION/BLOCKLIST/PROHIBITED_CONTENT/SPII/... and a blocked prompt -> content_filter.
Usage: prompt = promptTokenCount (+ toolUsePromptTokenCount), cached = cachedContentTokenCount,
reasoning = thoughtsTokenCount, and completion = candidatesTokenCount + thoughtsTokenCount: Gemini
bills thinking as output and OpenAI's completion_tokens include reasoning, so they are added.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import orjson

from gateway.providers.base import Completion, ProviderAdapter, ProviderError, StreamTranslator, UpstreamRequest
from gateway.providers.errors import retry_after_seconds
from gateway.providers.google.request import endpoint, generate_body
from gateway.providers.google.response import GoogleStreamTranslator, error_from_body, parse_generate_content


@dataclass
class GoogleAdapter(ProviderAdapter):
    slug: ClassVar[str] = "google"

    def build_request(
        self, request: dict[str, Any], *, model: str, api_key: str, base_url: str, stream: bool
    ) -> UpstreamRequest:
        headers = {
            "x-goog-api-key": api_key,
            "Content-Type": "application/json",
            "Accept": "text/event-stream" if stream else "application/json",
        }
        body = orjson.dumps(generate_body(request))
        return UpstreamRequest(url=endpoint(base_url, model, stream=stream), headers=headers, body=body)

    def parse_response(self, payload: bytes, *, model: str, response_id: str, created: int) -> Completion:
        return parse_generate_content(payload, model=model, response_id=response_id, created=created)

    def new_stream(self, *, model: str, response_id: str, created: int) -> StreamTranslator:
        return GoogleStreamTranslator(model=model, response_id=response_id, created=created)

    def parse_error(self, status: int, headers: Mapping[str, str], payload: bytes) -> ProviderError:
        try:
            body = orjson.loads(payload)
        except (orjson.JSONDecodeError, TypeError):
            body = None
        error = error_from_body(body, status=status)
        header_delay = retry_after_seconds(headers)
        if header_delay is not None:
            error.retry_after = header_delay
        return error


__all__ = ["GoogleAdapter", "GoogleStreamTranslator"]
