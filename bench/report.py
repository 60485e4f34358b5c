"""Measure series of load runs and print them as Markdown tables (pasteable into the README)."""
from __future__ import annotations

import asyncio
import math
import os
from dataclasses import dataclass

from bench.load import VARY_MARKER, LoadResult, LoadSpec, chat_body, run_load
from bench.targets import Target

CONCURRENCIES = (1, 16, 64)
# A short, ordinary prompt; the marker makes every request distinct so the exact cache misses.
PROMPT = f"Summarise in one sentence why ticket {VARY_MARKER} matters for a small team's monthly budget."
FIXED_PROMPT = "Summarise in one sentence why a cached answer matters for a small team's monthly budget."
GATEWAY_HEADERS = ("x-gateway-cache", "x-gateway-model")


def run(spec: LoadSpec) -> LoadResult:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(run_load(spec))
    return uvloop.run(run_load(spec))


@dataclass(frozen=True)
class Load:
    """What to send: the model, streamed or not, a varying prompt (cache miss) or a fixed one."""

    model: str | None = None
    stream: bool = False
    vary: bool = True

    def spec(self, target: Target, concurrency: int, duration: float, requests: int | None = None) -> LoadSpec:
        body = chat_body(self.model or target.named_model, PROMPT if self.vary else FIXED_PROMPT, self.stream)
        return LoadSpec(
            url=target.chat_url, body=body, concurrency=concurrency, duration=duration, requests=requests,
            headers=target.headers, stream=self.stream,
            count_headers=GATEWAY_HEADERS if target.name == "gateway" else (),
        )


def measure(target: Target, load: Load, concurrency: int, duration: float, requests: int | None = None) -> LoadResult:
    return run(load.spec(target, concurrency, duration, requests))


def load_average() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg()) + f" (1/5/15 min, {os.cpu_count()} CPUs)"


def ms(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}"


def rps(result: LoadResult | None) -> str:
    return "n/a" if result is None else f"{result.requests_per_second:,.0f}"


def errors(*results: LoadResult | None) -> str:
    merged = {}
    for result in results:
        if result is not None:
            for kind, count in result.errors.items():
                merged[kind] = merged.get(kind, 0) + count
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(merged.items())) or "0"


def lat(result: LoadResult | None, q: float) -> float:
    return math.nan if result is None else result.latency_ms(q)


def ttfc(result: LoadResult | None, q: float) -> float:
    return math.nan if result is None else result.first_chunk_ms(q)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    def line(cells) -> str:
        padded = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join((":" + "-" * (w + 1)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def headers_seen(result: LoadResult | None) -> str:
    if result is None or not result.header_values:
        return ""
    return ", ".join(f"{k} ×{v}" for k, v in sorted(result.header_values.items()))
