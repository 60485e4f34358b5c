"""What a /v1 endpoint answers, before any HTTP server frames it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import orjson

from gateway.errors import GatewayError, InvalidRequestError

JSON_CONTENT_TYPE = "application/json"
SSE_CONTENT_TYPE = "text/event-stream"
# Authenticated answers are never stored by a proxy (no-store); streams also say no-cache.
STREAM_HEADERS = {"Cache-Control": "private, no-cache, no-store", "X-Accel-Buffering": "no"}


@dataclass
class JSONReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return orjson.dumps(self.body)


@dataclass
class StreamReply:
    chunks: AsyncIterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)

    def all_headers(self) -> dict[str, str]:
        return {**self.headers, **STREAM_HEADERS}


def error_reply(error: GatewayError, headers: dict[str, str] | None = None) -> JSONReply:
    return JSONReply(error.status, error.to_body(), {**(headers or {}), **error.headers})


def method_not_allowed(allowed: str) -> JSONReply:
    error = InvalidRequestError(f"Use {allowed} on this endpoint.", code="method_not_allowed")
    return JSONReply(405, error.to_body(), {"Allow": allowed})


def unknown_endpoint() -> JSONReply:
    error = InvalidRequestError("Unknown endpoint. This gateway serves /v1/chat/completions and /v1/models.",
                                code="unknown_url")
    return JSONReply(404, error.to_body())
