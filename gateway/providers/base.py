"""The provider adapter contract.

The gateway speaks OpenAI Chat Completions inside: requests arrive as OpenAI-shaped dicts and
answers leave as OpenAI `chat.completion` objects or `chat.completion.chunk` events. An adapter
translates between that and one vendor's wire format. It does no I/O, reads no settings, touches
no database and never logs a secret: the pipeline hands it everything it needs (vendor model id,
API key, base URL) and performs the HTTP calls itself.

An adapter answers four questions:

- `build_request`: the vendor HTTP request for an OpenAI-shaped body (`UpstreamRequest`).
- `parse_response`: a vendor non-stream body (bytes) -> `Completion` (an OpenAI body + `Usage`).
- `new_stream`: a `StreamTranslator` that turns the vendor's SSE events, one at a time, into
  OpenAI chunk dicts, and keeps the usage and finish reason it saw.
- `parse_error`: a vendor error status + body -> `ProviderError` (never echoing the body).

Malformed vendor output (bad JSON, an unexpected shape) raises `ProviderError` with status 502
and code `bad_upstream_response`; the message never includes vendor text.

A request the vendor cannot express (n > 1 outside OpenAI, a malformed message, a tool result
without its call, ...) makes `build_request` raise `ProviderError` 400 with code
`invalid_request`, `unsupported_content` or `unsupported_parameter` (never retryable): the
client's fault, to be answered as a 400. Adapters live in `gateway.providers.ADAPTERS`
(`get_adapter(slug)`); each module's docstring documents its translation choices.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_openai(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }


@dataclass(frozen=True)
class UpstreamRequest:
    """One HTTP POST to a vendor. `headers` carry the vendor's auth header; never log them."""

    url: str
    headers: Mapping[str, str]
    body: bytes

    def __repr__(self) -> str:  # keeps API keys out of tracebacks and logs
        return f"UpstreamRequest(url={self.url!r}, headers=<{len(self.headers)} hidden>, body=<{len(self.body)} bytes>)"


@dataclass(frozen=True)
class Completion:
    """A finished non-stream answer: `body` is an OpenAI `chat.completion` object."""

    body: dict[str, Any]
    usage: Usage
    finish_reason: str | None


@dataclass(frozen=True)
class SSEEvent:
    """One Server-Sent Event as parsed by gateway/sse.py (`event` is "" when the vendor names none)."""

    data: str
    event: str = ""


class ProviderError(Exception):
    """A vendor call that failed: its HTTP status (0 for a transport failure), a short code,
    whether trying again may help, and the vendor's Retry-After in seconds when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        is_retryable: bool,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.is_retryable = is_retryable
        self.retry_after = retry_after


def bad_upstream_response(what: str = "The provider returned a malformed response.") -> ProviderError:
    return ProviderError(what, status=502, code="bad_upstream_response", is_retryable=True)


RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})


class StreamTranslator:
    """Turns one vendor stream into OpenAI chunks, event by event.

    `feed` returns the chunk dicts to forward now (possibly none). The translator never emits the
    final usage-only chunk: the pipeline adds it from `usage` when the client asked for
    `stream_options.include_usage`. `is_complete` is True once the vendor signalled a normal end
    (OpenAI `[DONE]`, Anthropic `message_stop`, Gemini's last candidate with a finish reason);
    a stream that ends without it was cut. A vendor error event inside the stream raises
    `ProviderError`.
    """

    def __init__(self, *, model: str, response_id: str, created: int):
        self.model = model
        self.response_id = response_id
        self.created = created
        self.usage = Usage()
        self.finish_reason: str | None = None
        self.is_complete = False

    def feed(self, event: SSEEvent) -> list[dict[str, Any]]:
        raise NotImplementedError

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": self.response_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }


@dataclass
class ProviderAdapter:
    """Base of the adapters; subclasses set `slug` and implement the four methods."""

    slug: ClassVar[str] = ""
    default_max_tokens: int = 4096
    extra: dict[str, Any] = field(default_factory=dict)

    def build_request(
        self, request: dict[str, Any], *, model: str, api_key: str, base_url: str, stream: bool
    ) -> UpstreamRequest:
        raise NotImplementedError

    def parse_response(self, payload: bytes, *, model: str, response_id: str, created: int) -> Completion:
        raise NotImplementedError

    def new_stream(self, *, model: str, response_id: str, created: int) -> StreamTranslator:
        raise NotImplementedError

    def parse_error(self, status: int, headers: Mapping[str, str], payload: bytes) -> ProviderError:
        raise NotImplementedError
