"""Relaying a stream to the client as OpenAI SSE, chunk by chunk, and closing its books.

Whatever happens — normal end, a vendor cut mid-stream, the client leaving — `finish` runs
exactly once with what was seen, so the usage record carries the partial usage.
"""
from __future__ import annotations

import asyncio
import time
from typing import AsyncIterator, Callable

import orjson

from gateway.calls import OpenStream
from gateway.context import RequestContext
from gateway.providers.base import ProviderError

DONE = b"data: [DONE]\n\n"


def sse(chunk: dict) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


def error_event(message: str, code: str, *, error_type: str = "api_error") -> bytes:
    return sse({"error": {"message": message, "type": error_type, "param": None, "code": code}})


def usage_chunk(ctx: RequestContext, model_id: str) -> dict:
    return {
        "id": ctx.response_id,
        "object": "chat.completion.chunk",
        "created": ctx.created,
        "model": model_id,
        "choices": [],
        "usage": ctx.usage.to_openai(),
    }


def _encode(chunks: list[dict], observer: Callable[[dict], None] | None) -> bytes:
    if observer is not None:
        for chunk in chunks:
            observer(chunk)
    return b"".join(sse(chunk) for chunk in chunks)


async def relay(
    ctx: RequestContext,
    stream: OpenStream,
    finish: Callable[[RequestContext], None],
    observer: Callable[[dict], None] | None = None,
) -> AsyncIterator[bytes]:
    """Forward each vendor chunk as soon as it is translated; `observer` sees every chunk."""
    translator = stream.translator
    model_id = stream.candidate.model.model_id
    try:
        ctx.first_byte_at = time.perf_counter()
        yield _encode(stream.pending, observer)
        async for chunks in stream.rest:
            yield _encode(chunks, observer)
        ctx.usage = translator.usage
        if ctx.include_usage:
            yield sse(usage_chunk(ctx, model_id))
        yield DONE
    except ProviderError as error:
        ctx.usage = translator.usage
        ctx.status, ctx.error_code = 502, error.code
        yield error_event("The provider's stream failed before it finished.", error.code)
    except (asyncio.CancelledError, GeneratorExit):
        ctx.usage = translator.usage
        ctx.status, ctx.error_code = 499, "client_disconnected"
        raise
    finally:
        ctx.usage = translator.usage
        await _close_quietly(stream)
        finish(ctx)


async def _close_quietly(stream: OpenStream) -> None:
    try:
        await asyncio.shield(stream.close())
    except BaseException:  # the upstream socket is gone either way
        pass


async def replay(ctx: RequestContext, chunks: list[dict], finish: Callable[[RequestContext], None]) -> AsyncIterator[bytes]:
    """A cached answer as a stream."""
    try:
        yield b"".join(sse(chunk) for chunk in chunks) + DONE
    except (asyncio.CancelledError, GeneratorExit):
        ctx.status, ctx.error_code = 499, "client_disconnected"
        raise
    finally:
        finish(ctx)
