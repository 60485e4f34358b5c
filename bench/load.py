"""A small async HTTP/1.1 load driver for loopback benchmarks.

`concurrency` keep-alive connections (raw asyncio protocols, responses parsed by httptools) each
send one request at a time until `duration` seconds pass or `requests` are done, whichever comes
first. Latency runs from writing the request to the end of the response; for a stream the time to
the first chunk is when the first `data:` line arrives. Connection failures, timeouts and non-2xx
statuses are counted by kind and never stop the run.

Usage: python -m bench.load --url http://127.0.0.1:9100/v1/chat/completions -c 16 -d 5 [--stream]
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

import httptools
import orjson

VARY_MARKER = "__N__"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100); nan when empty."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class LoadResult:
    """What one run measured. Times are seconds; `errors` counts by status or failure kind."""

    concurrency: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_chunk: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    header_values: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def total(self) -> int:
        return self.ok + sum(self.errors.values())

    @property
    def requests_per_second(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile(sorted(self.latencies), q) * 1000

    def first_chunk_ms(self, q: float) -> float:
        return percentile(sorted(self.first_chunk), q) * 1000

    def summary(self) -> dict:
        data = {
            "concurrency": self.concurrency,
            "ok": self.ok,
            "errors": dict(self.errors),
            "elapsed_s": round(self.elapsed, 3),
            "rps": round(self.requests_per_second, 1),
            "p50_ms": round(self.latency_ms(50), 3),
            "p99_ms": round(self.latency_ms(99), 3),
        }
        if self.first_chunk:
            data["first_chunk_p50_ms"] = round(self.first_chunk_ms(50), 3)
            data["first_chunk_p99_ms"] = round(self.first_chunk_ms(99), 3)
        if self.header_values:
            data["header_values"] = dict(self.header_values)
        return data


@dataclass(frozen=True)
class LoadSpec:
    """One load run. `body` may contain VARY_MARKER, replaced by a number unique per request."""

    url: str
    body: bytes
    concurrency: int
    duration: float = 5.0
    requests: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    stream: bool = False
    timeout: float = 30.0
    count_headers: tuple[str, ...] = ()

    def __post_init__(self):
        parts = urlsplit(self.url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK_HOSTS:
            raise ValueError(f"the load driver only targets http on loopback, not {self.url!r}")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")


_run_nonce = itertools.count()


def body_maker(body: bytes) -> Callable[[], bytes]:
    """A function returning `body`, with VARY_MARKER replaced by a fresh value on every call."""
    marker = VARY_MARKER.encode()
    if marker not in body:
        return lambda: body
    head, tail = body.split(marker, 1)
    prefix = f"{os.getpid()}-{time.monotonic_ns()}-{next(_run_nonce)}-".encode()
    counter = itertools.count()
    return lambda: head + prefix + str(next(counter)).encode() + tail


def _request_head(spec: LoadSpec) -> bytes:
    parts = urlsplit(spec.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json"]
    lines += [f"{name}: {value}" for name, value in spec.headers]
    return ("\r\n".join(lines) + "\r\nContent-Length: ").encode()


class _Connection(asyncio.Protocol):
    """A client connection running one request at a time; `done` resolves per response."""

    def __init__(self, count_headers: frozenset[bytes]):
        self.count_headers = count_headers
        self.transport = None
        self.parser = httptools.HttpResponseParser(self)
        self.done: asyncio.Future | None = None
        self.lost = asyncio.get_running_loop().create_future()
        self.first_data_at = None
        self.header_values: list[str] = []
        self.saw_done = False
        self._tail = b""

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None
        if self.done is not None and not self.done.done():
            self.done.set_exception(ConnectionError("connection closed mid-response"))
        if not self.lost.done():
            self.lost.set_result(None)

    def send(self, data: bytes) -> asyncio.Future:
        self.first_data_at = None
        self.header_values = []
        self.saw_done = False
        self._tail = b""
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.done

    def data_received(self, data):
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            if self.done is not None and not self.done.done():
                self.done.set_exception(ConnectionError(f"bad response: {exc}"))
            self.transport.close()

    def on_header(self, name: bytes, value: bytes):
        if self.count_headers and name.lower() in self.count_headers:
            self.header_values.append(f"{name.decode('latin-1').lower()}: {value.decode('latin-1')}")

    def on_body(self, body: bytes):
        # The last bytes of the previous piece, so that a marker split across reads is found.
        seen = self._tail + body
        if self.first_data_at is None and b"data:" in seen:
            self.first_data_at = time.perf_counter()
        if b"[DONE]" in seen:
            self.saw_done = True
        self._tail = body[-8:]

    def on_message_complete(self):
        keep_alive = self.parser.should_keep_alive()
        if self.done is not None and not self.done.done():
            self.done.set_result((self.parser.get_status_code(), keep_alive))
        if not keep_alive and self.transport is not None:
            self.transport.close()


async def _worker(spec: LoadSpec, result: LoadResult, next_body, head: bytes, deadline: float, budget: list[int]):
    loop = asyncio.get_running_loop()
    parts = urlsplit(spec.url)
    count_headers = frozenset(name.lower().encode() for name in spec.count_headers)
    conn: _Connection | None = None
    while time.perf_counter() < deadline and budget[0] != 0:
        budget[0] -= 1
        try:
            if conn is None or conn.transport is None:
                _, conn = await asyncio.wait_for(
                    loop.create_connection(lambda: _Connection(count_headers), parts.hostname, parts.port or 80),
                    timeout=spec.timeout,
                )
            body = next_body()
            started = time.perf_counter()
            status, _ = await asyncio.wait_for(conn.send(head + str(len(body)).encode() + b"\r\n\r\n" + body), spec.timeout)
            finished = time.perf_counter()
        except (asyncio.TimeoutError, TimeoutError):
            result.errors["timeout"] += 1
            conn = _drop(conn)
            continue
        except OSError:
            result.errors["connection"] += 1
            conn = _drop(conn)
            await asyncio.sleep(0.01)
            continue
        result.header_values.update(conn.header_values)
        if not 200 <= status < 300:
            result.errors[str(status)] += 1
        elif spec.stream and (conn.first_data_at is None or not conn.saw_done):
            result.errors["incomplete-stream"] += 1
        else:
            result.latencies.append(finished - started)
            if spec.stream:
                result.first_chunk.append(conn.first_data_at - started)
    _drop(conn)


def _drop(conn: _Connection | None) -> None:
    """Abort `conn`; returns None so callers can write `conn = _drop(conn)`."""
    if conn is not None and conn.transport is not None:
        conn.transport.abort()


async def run_load(spec: LoadSpec) -> LoadResult:
    """Run `spec` in the running event loop and return what it measured."""
    result = LoadResult(concurrency=spec.concurrency)
    head = _request_head(spec)
    next_body = body_maker(spec.body)
    budget = [spec.requests if spec.requests is not None else -1]
    started = time.perf_counter()
    deadline = started + spec.duration
    await asyncio.gather(*(_worker(spec, result, next_body, head, deadline, budget) for _ in range(spec.concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


def chat_body(model: str, prompt: str, stream: bool = False, max_tokens: int = 64) -> bytes:
    """An OpenAI chat completions request body (put VARY_MARKER in `prompt` to vary it)."""
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": max_tokens}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return orjson.dumps(body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("-c", "--concurrency", type=int, default=1)
    parser.add_argument("-d", "--duration", type=float, default=5.0, help="seconds (upper bound)")
    parser.add_argument("-n", "--requests", type=int, default=None, help="stop after this many requests")
    parser.add_argument("--model", default="bench-model")
    parser.add_argument("--prompt", default=f"Say hello. ({VARY_MARKER})")
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--count-header", action="append", default=[], help="count this response header's values")
    args = parser.parse_args(argv)
    headers = tuple(tuple(part.strip() for part in h.split(":", 1)) for h in args.header)
    spec = LoadSpec(
        url=args.url,
        body=chat_body(args.model, args.prompt, args.stream),
        concurrency=args.concurrency,
        duration=args.duration,
        requests=args.requests,
        headers=headers,
        stream=args.stream,
        count_headers=tuple(args.count_header),
    )
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run_load(spec))
    else:
        result = uvloop.run(run_load(spec))
    print(orjson.dumps(result.summary(), option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
