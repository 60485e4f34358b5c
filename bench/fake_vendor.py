"""A very fast local fake of OpenAI's Chat Completions endpoint, for benchmarks.

Speaks HTTP/1.1 with keep-alive on a raw asyncio.Protocol (uvloop when run as a script) and
answers from pre-encoded bytes, so that it costs far less per request than anything measured
through it. Bound to 127.0.0.1 only.

- `POST /v1/chat/completions` (also `/chat/completions`): with `"stream": true`, an SSE stream
  (chunked transfer encoding) of `chunks` content chunks, a finish chunk, a usage chunk
  (`choices: []`) and `data: [DONE]`; otherwise one JSON completion with `usage`. The answer
  names the model the request named.
- `GET /v1/models`: a one-model list. Any other path: 404 in OpenAI's error shape.
- `think_ms` delays the first byte; `chunk_delay_ms` spaces the stream's chunks.

Usage: python -m bench.fake_vendor --port 9100 [--think-ms 0] [--chunks 8] [--chunk-delay-ms 0]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass

import orjson

HOST = "127.0.0.1"
PROMPT_TOKENS = 12
MAX_HEAD_BYTES = 64 * 1024
CHAT_PATHS = (b"/v1/chat/completions", b"/chat/completions")


@dataclass(frozen=True)
class VendorConfig:
    think_ms: float = 0.0
    chunks: int = 8
    chunk_delay_ms: float = 0.0


def _usage(chunks: int) -> dict:
    return {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": chunks, "total_tokens": PROMPT_TOKENS + chunks}


def _words(chunks: int) -> list[str]:
    return [f"word{i} " for i in range(max(chunks, 1))]


def completion_body(model: str, chunks: int, created: int) -> bytes:
    return orjson.dumps(
        {
            "id": "chatcmpl-fakevendor",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(_words(chunks)), "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(chunks),
            "system_fingerprint": None,
        }
    )


def stream_events(model: str, chunks: int, created: int) -> list[bytes]:
    """The SSE events of one streamed answer, each `data: ...\\n\\n`, in order."""
    base = {"id": "chatcmpl-fakevendor", "object": "chat.completion.chunk", "created": created, "model": model}

    def event(choices: list, **extra) -> bytes:
        return b"data: " + orjson.dumps({**base, "choices": choices, **extra}) + b"\n\n"

    events = []
    for i, word in enumerate(_words(chunks)):
        delta = {"role": "assistant", "content": word} if i == 0 else {"content": word}
        events.append(event([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}]))
    events.append(event([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}]))
    events.append(event([], usage=_usage(chunks)))
    events.append(b"data: [DONE]\n\n")
    return events


def _response(status: bytes, content_type: bytes, body: bytes, close: bool) -> bytes:
    head = b"HTTP/1.1 " + status + b"\r\ncontent-type: " + content_type
    head += b"\r\ncontent-length: " + str(len(body)).encode()
    head += b"\r\nconnection: close\r\n\r\n" if close else b"\r\n\r\n"
    return head + body


def _chunked(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


STREAM_HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n"
CHUNKED_END = b"0\r\n\r\n"


def _error(status: bytes, message: str, close: bool) -> bytes:
    body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None, "code": None}})
    return _response(status, b"application/json", body, close)


class Responses:
    """Pre-encoded answers per (model, stream, keep-alive); built once per model."""

    def __init__(self, config: VendorConfig):
        self.config = config
        self.created = int(time.time())
        self._cache: dict[tuple[str, bool, bool], object] = {}

    def completion(self, model: str, close: bool) -> bytes:
        key = (model, False, close)
        found = self._cache.get(key)
        if found is None:
            body = completion_body(model, self.config.chunks, self.created)
            found = self._cache[key] = _response(b"200 OK", b"application/json", body, close)
        return found

    def stream(self, model: str, close: bool) -> list[bytes]:
        """The head plus first event, then one piece per remaining event, the last ending the body."""
        key = (model, True, close)
        found = self._cache.get(key)
        if found is None:
            events = [_chunked(e) for e in stream_events(model, self.config.chunks, self.created)]
            head = STREAM_HEAD + (b"connection: close\r\n\r\n" if close else b"\r\n")
            pieces = [head + events[0], *events[1:]]
            pieces[-1] += CHUNKED_END
            found = self._cache[key] = pieces
        return found


def _parse_head(head: bytes) -> tuple[bytes, bytes, dict[bytes, bytes], bool]:
    lines = head.split(b"\r\n")
    method, path, version = lines[0].split(b" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    close = version != b"HTTP/1.1" or headers.get(b"connection", b"").lower() == b"close"
    return method, path.split(b"?", 1)[0], headers, close


def _chunked_body(buf: bytearray, start: int) -> tuple[bytes, int] | None:
    """Decode a chunked request body starting at `start`; None until it is complete."""
    body = bytearray()
    pos = start
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            return None
        size = int(bytes(buf[pos:line_end]).split(b";", 1)[0], 16)
        pos = line_end + 2
        if size == 0:
            trailer_end = buf.find(b"\r\n", pos)
            return (bytes(body), trailer_end + 2) if trailer_end >= 0 else None
        if len(buf) < pos + size + 2:
            return None
        body += buf[pos : pos + size]
        pos += size + 2


class FakeVendorProtocol(asyncio.Protocol):
    """One client connection; requests are answered one at a time, in order."""

    def __init__(self, responses: Responses):
        self.responses = responses
        self.config = responses.config
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self._serve_buffered()

    def _serve_buffered(self):
        while self.transport is not None and not self.busy:
            request = self._next_request()
            if request is None:
                return
            self._answer(*request)

    def _next_request(self):
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0:
            if len(self.buf) > MAX_HEAD_BYTES:
                self._finish(_error(b"431 Request Header Fields Too Large", "head too large", True), True)
            return None
        try:
            method, path, headers, close = _parse_head(bytes(self.buf[:head_end]))
            start = head_end + 4
            if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
                decoded = _chunked_body(self.buf, start)
                if decoded is None:
                    return None
                body, end = decoded
            else:
                end = start + int(headers.get(b"content-length", b"0"))
                if len(self.buf) < end:
                    return None
                body = bytes(self.buf[start:end])
        except ValueError:
            self._finish(_error(b"400 Bad Request", "malformed request", True), True)
            return None
        del self.buf[:end]
        return method, path, body, close

    def _answer(self, method: bytes, path: bytes, body: bytes, close: bool):
        if path in CHAT_PATHS and method == b"POST":
            try:
                request = orjson.loads(body)
                model = str(request.get("model") or "fake-model")
                stream = request.get("stream") is True
            except (orjson.JSONDecodeError, AttributeError):
                return self._finish(_error(b"400 Bad Request", "body is not a JSON object", close), close)
            if stream:
                return self._start_stream(self.responses.stream(model, close), close)
            return self._later(self.config.think_ms, self.responses.completion(model, close), close)
        if path == b"/v1/models" and method == b"GET":
            body = orjson.dumps({"object": "list", "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "fake"}]})
            return self._finish(_response(b"200 OK", b"application/json", body, close), close)
        return self._finish(_error(b"404 Not Found", "unknown path", close), close)

    def _later(self, delay_ms: float, data: bytes, close: bool):
        if delay_ms > 0:
            self.busy = True
            self.loop.call_later(delay_ms / 1000, self._finish_deferred, data, close)
        else:
            self._finish(data, close)

    def _start_stream(self, pieces: list[bytes], close: bool):
        if self.config.chunk_delay_ms <= 0:
            return self._later(self.config.think_ms, b"".join(pieces), close)
        self.busy = True
        self.loop.call_later(self.config.think_ms / 1000, self._send_piece, pieces, 0, close)

    def _send_piece(self, pieces: list[bytes], index: int, close: bool):
        if self.transport is None:
            return
        if index == len(pieces) - 1:
            return self._finish_deferred(pieces[index], close)
        self.transport.write(pieces[index])
        self.loop.call_later(self.config.chunk_delay_ms / 1000, self._send_piece, pieces, index + 1, close)

    def _finish_deferred(self, data: bytes, close: bool):
        """Answer from a timer callback, then serve what the client sent meanwhile."""
        self._finish(data, close)
        self._serve_buffered()

    def _finish(self, data: bytes, close: bool):
        self.busy = False
        if self.transport is None:
            return
        self.transport.write(data)
        if close:
            self.transport.close()
            self.transport = None


async def start_fake_vendor(port: int = 0, config: VendorConfig = VendorConfig()) -> asyncio.AbstractServer:
    """Listen on 127.0.0.1:`port` (0 picks a free one) in the running loop; the caller closes it."""
    responses = Responses(config)
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: FakeVendorProtocol(responses), HOST, port, backlog=1024)


async def _serve(port: int, config: VendorConfig) -> None:
    server = await start_fake_vendor(port, config)
    bound = server.sockets[0].getsockname()[1]
    print(f"fake vendor listening on http://{HOST}:{bound}/v1", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--think-ms", type=float, default=0.0, help="delay before the first byte")
    parser.add_argument("--chunks", type=int, default=8, help="content chunks in a streamed answer")
    parser.add_argument("--chunk-delay-ms", type=float, default=0.0, help="delay between streamed chunks")
    args = parser.parse_args(argv)
    config = VendorConfig(think_ms=args.think_ms, chunks=args.chunks, chunk_delay_ms=args.chunk_delay_ms)
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(args.port, config))
    else:
        uvloop.run(_serve(args.port, config))


if __name__ == "__main__":
    sys.exit(main())
