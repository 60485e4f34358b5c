"""The soak's clients: N concurrent aiohttp clients, each sending one request at a time until a
deadline, and a tally of everything they saw.

The mix (seeded per client): `stream_share` of requests stream (half of those ask for
`include_usage`), one in ten names `auto`, one in ten repeats one of a few fixed questions (exact
cache hits after the first), one in twenty sends `x-gateway-cache: no-cache`; the rest are
questions asked once. Every answer is checked: a 200 carries a completion (or, streamed, ends
with `[DONE]` or with an in-band error event after a vendor cut), every other status carries
OpenAI's error shape, and every answer carries `x-gateway-request-id`.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import orjson

REPEATED_QUESTIONS = [
    "What is the capital of France?", "Translate 'good morning' into Spanish.", "Name three primary colours.",
    "How many days are in a leap year?", "What does HTTP stand for?", "Give me a synonym for quick.",
    "What is 12 times 12?", "Who wrote Hamlet?", "What is the boiling point of water in Celsius?",
    "Spell 'necessary' backwards.",
]  # fmt: skip
TOPICS = ["databases", "rate limits", "caching", "retries", "sorting", "graph search", "compilers", "queues"]
ERROR_FIELDS = {"message", "type", "param", "code"}


@dataclass
class Tally:
    attempted: int = 0
    not_sent: int = 0  # the connection failed before the request went out
    statuses: Counter = field(default_factory=Counter)
    streams: int = 0
    streams_completed: int = 0  # ended with data: [DONE]
    streams_cut: int = 0  # ended with an in-band error event: the vendor cut after the first byte
    streams_truncated: int = 0  # ended with neither: never acceptable
    bad_bodies: int = 0  # a 200 without a completion, or an error without OpenAI's shape
    transport_errors: Counter = field(default_factory=Counter)  # after the request went out
    request_ids: list[str] = field(default_factory=list)
    answers_without_id: int = 0
    cache: Counter = field(default_factory=Counter)
    fell_back: int = 0  # answers with x-gateway-fallbacks > 0
    latencies: list[float] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.attempted - self.not_sent


def plan_request(rng: random.Random, client: int, index: int, models: list[str], *, stream_share: float):
    """(body, extra headers) of a client's `index`-th request."""
    roll = rng.random()
    if roll < 0.10:
        content = rng.choice(REPEATED_QUESTIONS)
    elif roll < 0.20:
        content = f"Explain {rng.choice(TOPICS)} step by step, with an example ({client}-{index})."
    else:
        content = f"Soak question {client}-{index}: tell me about {rng.choice(TOPICS)}."
    body = {
        "model": "auto" if rng.random() < 0.10 else rng.choice(models),
        "messages": [{"role": "user", "content": content}],
        "max_tokens": 64,
    }
    if rng.random() < stream_share:
        body["stream"] = True
        if rng.random() < 0.5:
            body["stream_options"] = {"include_usage": True}
    headers = {"x-gateway-cache": "no-cache"} if rng.random() < 0.05 else {}
    return body, headers


def _is_openai_error(payload) -> bool:
    return isinstance(payload, dict) and isinstance(payload.get("error"), dict) and set(payload["error"]) >= ERROR_FIELDS


async def _read_stream(response: aiohttp.ClientResponse, tally: Tally) -> None:
    tally.streams += 1
    done = cut = False
    async for line in response.content:
        if line.startswith(b"data: [DONE]"):
            done = True
        elif line.startswith(b'data: {"error"'):
            cut = True
    if done:
        tally.streams_completed += 1
    elif cut:
        tally.streams_cut += 1
    else:
        tally.streams_truncated += 1


async def _read_whole(response: aiohttp.ClientResponse, tally: Tally) -> None:
    raw = await response.read()
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        tally.bad_bodies += 1
        return
    if response.status == 200:
        is_good = isinstance(payload, dict) and bool(payload.get("choices"))
    else:
        is_good = _is_openai_error(payload)
    tally.bad_bodies += not is_good


async def send_one(session: aiohttp.ClientSession, url: str, body: dict, headers: dict, tally: Tally) -> None:
    tally.attempted += 1
    started = time.perf_counter()
    try:
        async with session.post(url, data=orjson.dumps(body), headers=headers) as response:
            tally.statuses[response.status] += 1
            request_id = response.headers.get("x-gateway-request-id")
            if request_id:
                tally.request_ids.append(request_id)
            else:
                tally.answers_without_id += 1
            tally.cache[response.headers.get("x-gateway-cache", "none")] += 1
            tally.fell_back += response.headers.get("x-gateway-fallbacks", "0") != "0"
            is_stream = response.status == 200 and response.content_type == "text/event-stream"
            await (_read_stream(response, tally) if is_stream else _read_whole(response, tally))
        tally.latencies.append(time.perf_counter() - started)
    except aiohttp.ClientConnectorError:
        tally.not_sent += 1
    except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
        tally.transport_errors[type(exc).__name__] += 1


async def run_clients(base_url: str, gateway_key: str, models: list[str], *, clients: int, duration: float,
                      seed: int, stream_share: float, timeout: float) -> Tally:
    """`clients` loops, each sending one request at a time for `duration` seconds."""
    url = f"{base_url}/v1/chat/completions"
    tally = Tally()
    deadline = time.monotonic() + duration
    headers = {"Authorization": f"Bearer {gateway_key}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=timeout)) as session:

        async def client_loop(client: int) -> None:
            rng = random.Random(seed * 100_003 + client)
            index = 0
            while time.monotonic() < deadline:
                body, extra = plan_request(rng, client, index, models, stream_share=stream_share)
                await send_one(session, url, body, extra, tally)
                index += 1

        await asyncio.gather(*(client_loop(client) for client in range(clients)))
    return tally
