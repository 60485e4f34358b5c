"""How long classify() and route() take per request.

    .venv/bin/python bench/classifier_speed.py [path/to/routing-dev.jsonl]

Times crafted requests of typical shapes, then every item of the labelled data set (median,
p95, max), with the default keyword sets and with an operator override (the compiled override
is cached by content, so only its first use pays for compiling).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from routing_data import DEFAULT_DATA, load_items
from routing_eval import default_snapshot

from gateway.classifier import classify
from gateway.routing import route

SHORT = {"model": "auto", "messages": [{"role": "user", "content": "What is the capital of Australia?"}]}
TYPICAL = {
    "model": "auto",
    "messages": [
        {"role": "system", "content": "You are a helpful assistant for a software company. " * 6},
        {"role": "user", "content": "Our nightly export job fails with a timeout after the database grew. "
         "Explain the likely causes and propose a step-by-step plan to fix it without downtime. " * 3},
    ],
}
CODE = {
    "model": "auto",
    "messages": [{"role": "user", "content": "Why does this fail?\n```python\n" + "def f(x):\n    return x + 1\n" * 30 + "```"}],
}
LONG_DOCUMENT = {
    "model": "auto",
    "messages": [{"role": "user", "content": "Summarise this report.\n" + "The committee reviewed the budget. " * 3000}],
}
OVERRIDE = {"creative": ["poem", "story", "lyrics", "sonnet"], "finance": ["portfolio", "hedge", "derivative"]}


def per_call_us(function, repeat: int, rounds: int = 5) -> float:
    """The best of `rounds` averages: the least disturbed by other processes on the machine."""
    function()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            function()
        best = min(best, (time.perf_counter() - start) / repeat * 1e6)
    return best


def main(path: str) -> None:
    snapshot = default_snapshot()
    providers = frozenset({"openai", "anthropic", "google"})
    print("request                         classify µs   classify+override µs   route µs")
    for name, request in (("short question", SHORT), ("typical (system + task)", TYPICAL),
                          ("code, 60 lines", CODE), ("long document (~26k tok)", LONG_DOCUMENT)):
        classification = classify(request)
        plain = per_call_us(lambda: classify(request), 1000)
        override = per_call_us(lambda: classify(request, keywords=OVERRIDE), 1000)
        routing = per_call_us(lambda: route(request=request, classification=classification, snapshot=snapshot,
                                            available_providers=providers), 1000)
        print(f"{name:30s} {plain:12.1f} {override:22.1f} {routing:10.1f}")
    if not Path(path).exists():
        return
    items = load_items(path)
    timings = sorted(per_call_us(lambda: classify(item["request"]), 100, rounds=3) for item in items)
    p95 = timings[int(0.95 * (len(timings) - 1))]
    print(f"\n{len(items)} data-set requests: classify median {statistics.median(timings):.1f} µs, "
          f"p95 {p95:.1f} µs, max {timings[-1]:.1f} µs")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_DATA))
