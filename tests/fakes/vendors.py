"""A local HTTP server speaking OpenAI's, Anthropic's and Google's wire formats, with scriptable faults.

    with FakeVendor() as fake:
        fake.enqueue("anthropic", Behaviour(status=429, retry_after="2"))
        client = openai.OpenAI(base_url=fake.base_url("openai"), api_key="k")
        ...
        provider, path, headers, body = fake.requests[-1]

The server is aiohttp on 127.0.0.1 (an ephemeral port) in a background thread with its own event
loop. Routes: `POST /openai/v1/chat/completions`, `POST /anthropic/v1/messages`,
`POST /google/v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse` (also
under `/v1` and `/v1alpha`, which google-genai may use).
Each request takes the next `Behaviour` queued for its provider (FIFO), or the default: a valid
answer (see tests/fakes/answers.py), streamed as real SSE, one event per write, when asked.
Every request is recorded in `requests` as `RecordedRequest(provider, path, headers, body)`;
`path` includes the query string, header names are lower-cased, `body` is the parsed JSON
(None when it was not JSON).

Random faults: `FakeVendor(fault_rate=0.1, seed=7)` answers each request that has no queued
behaviour with a random fault one time in ten, chosen evenly among `FAULT_KINDS` (a 5xx, a 429
with `Retry-After: 1`, an answer slower than `slow_delay` seconds, a reset before the first byte,
a reset after 1-3 chunks). `outcomes` counts what each request got ("ok", "scripted" or the
fault kind); `GET /_fake/stats` serves the same counts as JSON.

Standalone (for soak runs; `keep_requests` is off there, so memory stays flat):

    python -m tests.fakes.vendors --port 0 --fault-rate 0.1 --seed 7 --slow-delay 5

prints `{"port": N}` on its first line once it listens on 127.0.0.1, and stops on SIGTERM/SIGINT.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import signal
import socket
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

from aiohttp import web

from tests.fakes import answers

PROVIDERS = ("openai", "anthropic", "google")
FAULT_KINDS = ("server_error", "rate_limited", "too_slow", "reset_before_first_byte", "reset_after_chunks")


@dataclass(frozen=True)
class Behaviour:
    """How the fake answers one request. The default is a valid answer.

    - `status` (with `retry_after` as the raw `Retry-After` value): an error in the vendor's JSON shape.
    - `delay`: seconds to wait before sending the headers (for timeouts).
    - `reset_before_first_byte`: abort the TCP connection (RST) without answering.
    - `reset_after_chunks=N`: send N SSE events (non-stream: half the body), then abort.
    - `stall_after_chunks=N`: send N events (non-stream: half the body), then hang until reset/stop.
    - `malformed_json`: 200 with a body (or SSE data) that is not JSON.
    - `html_error`: 502 with an HTML page.
    - `truncated_sse`: a stream that ends cleanly in the middle of a `data:` line.
    - `text`: answer with this text instead of "Hello from <provider> <model>".
    """

    status: int = 200
    retry_after: str | None = None
    delay: float = 0.0
    reset_before_first_byte: bool = False
    reset_after_chunks: int | None = None
    stall_after_chunks: int | None = None
    malformed_json: bool = False
    html_error: bool = False
    truncated_sse: bool = False
    text: str | None = None


class RecordedRequest(NamedTuple):
    provider: str
    path: str
    headers: dict[str, str]
    body: Any


class _Abort(Exception):
    """Ends a handler after its connection was aborted on purpose."""


def random_fault(rng: random.Random, *, slow_delay: float) -> tuple[str, Behaviour]:
    """One fault of `FAULT_KINDS`, chosen evenly: (its kind, how to answer)."""
    kind = rng.choice(FAULT_KINDS)
    if kind == "server_error":
        return kind, Behaviour(status=rng.choice((500, 502, 503)))
    if kind == "rate_limited":
        return kind, Behaviour(status=429, retry_after="1")
    if kind == "too_slow":
        return kind, Behaviour(delay=slow_delay)
    if kind == "reset_before_first_byte":
        return kind, Behaviour(reset_before_first_byte=True)
    return kind, Behaviour(reset_after_chunks=rng.randint(1, 3))


class FakeVendor:
    def __init__(
        self,
        *,
        port: int = 0,
        fault_rate: float = 0.0,
        seed: int | None = None,
        slow_delay: float = 5.0,
        keep_requests: bool = True,
    ) -> None:
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError("fault_rate is a probability, between 0 and 1.")
        self.requests: list[RecordedRequest] = []
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.fault_rate = fault_rate
        self.slow_delay = slow_delay
        self.keep_requests = keep_requests
        self._rng = random.Random(seed)
        self._queues: dict[str, collections.deque[Behaviour]] = {p: collections.deque() for p in PROVIDERS}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None
        self._wanted_port = port
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeVendor:
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-vendor", daemon=True)
        self._thread.start()
        if not ready.wait(10) or not self.port:
            raise RuntimeError("The fake vendor server did not start.")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        ready.set()
        self._loop.run_forever()

    async def _startup(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/openai/v1/chat/completions", self._handle_openai)
        app.router.add_post("/anthropic/v1/messages", self._handle_anthropic)
        app.router.add_post("/google/{version:v1|v1beta|v1alpha}/models/{target}", self._handle_google)
        app.router.add_get("/_fake/stats", self._handle_stats)
        self._release = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._wanted_port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        self._release.set()
        await self._runner.cleanup()

    # -- scripting -----------------------------------------------------------------------------
    def base_url(self, provider: str) -> str:
        """The base URL an adapter (or the vendor's SDK) should use for `provider`."""
        suffix = {"openai": "/openai/v1", "anthropic": "/anthropic", "google": "/google"}[provider]
        return f"http://127.0.0.1:{self.port}{suffix}"

    def enqueue(self, provider: str, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queues[provider].extend(behaviours)

    def requests_for(self, provider: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.provider == provider]

    def reset(self) -> None:
        """Forget queued behaviours, recorded requests and outcomes; release stalled answers."""
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self.requests.clear()
            self.outcomes.clear()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._renew_release)

    def _renew_release(self) -> None:
        self._release.set()
        self._release = asyncio.Event()

    def _next(self, provider: str) -> Behaviour:
        with self._lock:
            queue = self._queues[provider]
            if queue:
                self.outcomes["scripted"] += 1
                return queue.popleft()
            if self.fault_rate and self._rng.random() < self.fault_rate:
                kind, behaviour = random_fault(self._rng, slow_delay=self.slow_delay)
                self.outcomes[kind] += 1
                return behaviour
            self.outcomes["ok"] += 1
            return Behaviour()

    # -- handlers ------------------------------------------------------------------------------
    async def _handle_stats(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            outcomes = dict(self.outcomes)
        return web.json_response({"requests": sum(outcomes.values()), "outcomes": outcomes})

    async def _handle_openai(self, request: web.Request) -> web.StreamResponse:
        return await self._handle("openai", request)

    async def _handle_anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._handle("anthropic", request)

    async def _handle_google(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["target"].partition(":")
        if method not in ("generateContent", "streamGenerateContent"):
            return web.json_response(answers.error_body("google", 404), status=404)
        return await self._handle("google", request, model=model, stream=method == "streamGenerateContent")

    async def _handle(self, provider: str, request: web.Request, *, model: str | None = None, stream: bool | None = None) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if self.keep_requests:
            headers = {k.lower(): v for k, v in request.headers.items()}
            self.requests.append(RecordedRequest(provider, request.path_qs, headers, body))
        behaviour = self._next(provider)
        release = self._release
        try:
            if behaviour.delay:
                try:
                    await asyncio.wait_for(release.wait(), behaviour.delay)
                except TimeoutError:
                    pass
                if request.transport is None or request.transport.is_closing():
                    _abort(request)  # the caller gave up waiting: nobody left to answer
            if behaviour.reset_before_first_byte:
                _abort(request)
            if behaviour.html_error:
                page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
                return web.Response(status=502, text=page, content_type="text/html")
            if behaviour.status != 200:
                extra = {"Retry-After": behaviour.retry_after} if behaviour.retry_after is not None else {}
                return web.json_response(answers.error_body(provider, behaviour.status), status=behaviour.status, headers=extra)
            body = body if isinstance(body, dict) else {}
            model = model or str(body.get("model", "unknown"))
            stream = bool(body.get("stream")) if stream is None else stream
            answer = answers.decide(provider, body, model, behaviour.text)
            if stream:
                return await self._stream(provider, request, behaviour, self._events(provider, answer, model, body), release)
            return await self._whole(provider, request, behaviour, answer, model, release)
        except _Abort:
            return web.Response(status=500)  # never reaches the client: its connection is gone

    async def _whole(self, provider, request, behaviour, answer, model, release) -> web.StreamResponse:
        if behaviour.malformed_json:
            return web.Response(status=200, body=b'{"id": "broken", "choices": [{"mess', content_type="application/json")
        build = {"openai": answers.openai_completion, "anthropic": answers.anthropic_message, "google": answers.gemini_response}[provider]
        payload = json.dumps(build(answer, model)).encode()
        cut = behaviour.reset_after_chunks if behaviour.reset_after_chunks is not None else behaviour.stall_after_chunks
        if cut is None:
            return web.Response(status=200, body=payload, content_type="application/json")
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json", "Content-Length": str(len(payload))})
        await response.prepare(request)
        await response.write(payload[: len(payload) // 2])
        await asyncio.sleep(0.01)
        if behaviour.reset_after_chunks is not None:
            _abort(request)
        await release.wait()
        _abort(request)

    @staticmethod
    def _events(provider: str, answer: answers.Answer, model: str, body: dict[str, Any]) -> list[bytes]:
        if provider == "openai":
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = answers.openai_chunks(answer, model, include_usage=include_usage)
            return [f"data: {json.dumps(c)}\n\n".encode() for c in chunks] + [b"data: [DONE]\n\n"]
        if provider == "anthropic":
            return [f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in answers.anthropic_events(answer, model)]
        return [f"data: {json.dumps(r, ensure_ascii=False)}\r\n\r\n".encode() for r in answers.gemini_stream(answer, model)]

    async def _stream(self, provider, request, behaviour, events, release) -> web.StreamResponse:
        if behaviour.malformed_json:
            events = [events[0], b"data: {this is not json}\n\n"] + events[1:]
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        for sent, event in enumerate(events):
            if sent == behaviour.reset_after_chunks:
                await asyncio.sleep(0.01)  # let the sent events leave before the reset
                _abort(request)
            if sent == behaviour.stall_after_chunks:
                await release.wait()
                _abort(request)
            if behaviour.truncated_sse and sent == len(events) // 2:
                await response.write(event[: len(event) // 2])
                break
            await response.write(event)
            await asyncio.sleep(0)
        await response.write_eof()
        return response


def _abort(request: web.Request) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0), as a crashed upstream would."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    raise _Abort


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The fake vendors as a process of their own, on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed as JSON)")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered with a random fault")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--slow-delay", type=float, default=5.0, help="seconds a 'too_slow' answer waits")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    fake = FakeVendor(port=args.port, fault_rate=args.fault_rate, seed=args.seed, slow_delay=args.slow_delay,
                      keep_requests=False)
    with fake:
        sys.stdout.write(json.dumps({"port": fake.port}) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass


if __name__ == "__main__":
    main()
