"""`make bench-peer`: the gateway and the LiteLLM proxy side by side, same fake vendor, same run.

Both serve one worker on CPU 1 (the load driver and the fake vendor share CPU 0), one after the
other so neither disturbs the other, with the same load: non-streamed and streamed chat
completions of the named model at concurrency 1, 16 and 64, every prompt distinct. The gateway
runs its full request path (key auth, rate limit, exact-cache lookup, routing, usage record);
LiteLLM runs with a master key and no database (bench/peer/config.yaml), so it records no spend
logs. Prints each one's table, then the ratios against the goals of issue 7.

LiteLLM comes from bench/.peer-venv (bench/peer/install.sh; refused if it gained an unexpected
`.pth` file). Usage: python -m bench.run_peer [--duration 5]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402
from bench.gateway_run import GatewayRun, add_gateway_arguments, gateway_options_from  # noqa: E402
from bench.load import LoadResult  # noqa: E402
from bench.processes import Services, can_pin, exit_cleanly_on_signals, workers_rss_mib  # noqa: E402
from bench.report import CONCURRENCIES, Load, load_average, ms, table  # noqa: E402
from bench.targets import Target, start_fake_vendor, start_litellm  # noqa: E402

DRIVER_CPU, SERVER_CPU = 0, 1
RESULTS_DIR = Path(__file__).resolve().parent / "results"
GOALS = {"rps_ratio": 10.0, "p50_overhead_ms": 1.5, "first_chunk_overhead_ms": 2.0, "rss_ratio": 1 / 3}


def log(message: str) -> None:
    print(f"[bench-peer {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Series:
    """Non-streamed and streamed results per concurrency for one target."""

    def __init__(self, name: str):
        self.name = name
        self.plain: dict[int, LoadResult] = {}
        self.stream: dict[int, LoadResult] = {}
        self.rss: dict[int, float] = {}
        self.problem = ""

    def p50(self, c: int) -> float:
        return self.plain[c].latency_ms(50) if c in self.plain else math.nan

    def first_chunk_p50(self, c: int) -> float:
        return self.stream[c].first_chunk_ms(50) if c in self.stream else math.nan

    def rps(self, c: int) -> float:
        return self.plain[c].requests_per_second if c in self.plain else math.nan

    @property
    def rss_mib(self) -> float:
        return sum(self.rss.values()) / len(self.rss) if self.rss else math.nan

    def summary(self) -> dict:
        return {
            "plain": {c: r.summary() for c, r in self.plain.items()},
            "stream": {c: r.summary() for c, r in self.stream.items()},
            "rss_mib": self.rss,
            "problem": self.problem,
        }


def measure_series(target: Target, duration: float, on_result=lambda r: r) -> Series:
    series = Series(target.name)
    for load in (Load(), Load(stream=True)):
        on_result(report.measure(target, load, 16, min(2.0, duration)))
    for c in CONCURRENCIES:
        log(f"{target.name}: concurrency {c}")
        series.plain[c] = on_result(report.measure(target, Load(), c, duration))
        series.stream[c] = on_result(report.measure(target, Load(stream=True), c, duration))
    if target.name != "fake vendor":
        series.rss = workers_rss_mib(target.service.pid)
    return series


def target_table(series: Series, direct: Series) -> str:
    if series.problem or not series.plain or not direct.plain:
        return f"Not measured: {series.problem or 'the run stopped before this part'}"
    rows = []
    for c in CONCURRENCIES:
        plain, streamed = series.plain[c], series.stream[c]
        rows.append([
            c, report.rps(plain), ms(plain.latency_ms(50)), ms(plain.latency_ms(99)), ms(series.p50(c) - direct.p50(c)),
            ms(streamed.first_chunk_ms(50)), ms(streamed.first_chunk_ms(99)),
            ms(series.first_chunk_p50(c) - direct.first_chunk_p50(c)), report.errors(plain, streamed),
        ])
    return table(["c", "req/s", "p50 ms", "p99 ms", "+p50 ms", "first chunk p50", "first chunk p99",
                  "+first chunk p50", "errors"], rows)


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def comparison_table(gateway: Series, litellm: Series, direct: Series) -> str:
    gw_over = gateway.p50(1) - direct.p50(1)
    ll_over = litellm.p50(1) - direct.p50(1)
    gw_fc = gateway.first_chunk_p50(1) - direct.first_chunk_p50(1)
    ll_fc = litellm.first_chunk_p50(1) - direct.first_chunk_p50(1)
    rps_ratio = ratio(gateway.rps(64), litellm.rps(64))
    rss_ratio = ratio(gateway.rss_mib, litellm.rss_mib)

    def met(ok: bool | None) -> str:
        return "n/a" if ok is None else ("yes" if ok else "no")

    def check(value: float, ok) -> str:
        return met(None if math.isnan(value) else ok(value))

    rows = [
        ["req/s at c=64", f"{gateway.rps(64):,.0f}", f"{litellm.rps(64):,.0f}", f"{rps_ratio:.1f}x",
         "≥ 10x LiteLLM", check(rps_ratio, lambda v: v >= GOALS["rps_ratio"])],
        ["p50 overhead at c=1 (ms)", ms(gw_over), ms(ll_over), f"{ratio(ll_over, gw_over):.1f}x less",
         "≤ 1.5 ms", check(gw_over, lambda v: v <= GOALS["p50_overhead_ms"])],
        ["first-chunk overhead at c=1 (ms)", ms(gw_fc), ms(ll_fc), f"{ratio(ll_fc, gw_fc):.1f}x less",
         "≤ 2 ms", check(gw_fc, lambda v: v <= GOALS["first_chunk_overhead_ms"])],
        ["worker RSS (MiB)", f"{gateway.rss_mib:.0f}", f"{litellm.rss_mib:.0f}", f"{rss_ratio:.2f} of LiteLLM's",
         "< 1/3 of LiteLLM", check(rss_ratio, lambda v: v < GOALS["rss_ratio"])],
    ]
    return table(["", "gateway", "LiteLLM", "ratio", "goal", "met"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured point")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and driver to CPUs")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, database)")
    add_gateway_arguments(parser)
    args = parser.parse_args(argv)
    exit_cleanly_on_signals()
    pin = can_pin() and not args.no_pin
    if pin:
        os.sched_setaffinity(0, {DRIVER_CPU})
    server_cpu = SERVER_CPU if pin else None
    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-peer-"))
    log(f"work dir {workdir}; pinning {'servers on CPU 1, driver and fake on CPU 0' if pin else 'off'}")
    direct, gateway, litellm = Series("fake vendor"), Series("gateway"), Series("litellm")
    sections: list[str] = [f"Load average at start: {load_average()}"]
    try:
        with Services() as services:
            fake = start_fake_vendor(services, workdir, cpu=DRIVER_CPU if pin else None)
            direct = measure_series(fake, args.duration)
            with GatewayRun(services, workdir, fake, gateway_options_from(args), cpu=server_cpu) as gw:
                if gw.working:
                    gateway = measure_series(gw.target, args.duration, gw.count)
                    sections.append(f"Gateway: `{' '.join(gw.target.command)}` ({gw.database_label})")
                else:
                    gateway.problem = gw.problem
                    log(gw.problem)
            try:
                peer = start_litellm(services, workdir, f"{fake.base_url}/v1", cpu=server_cpu)
            except RuntimeError as exc:
                litellm.problem = str(exc)
                log(litellm.problem)
            else:
                sections.append(f"LiteLLM: `{' '.join(peer.command)}`")
                litellm = measure_series(peer, args.duration)
                services.stop(peer.service)
    finally:
        sections += [
            "### Direct to the fake vendor\n\n" + target_table(direct, direct),
            "### Gateway (named model, full request path)\n\n" + target_table(gateway, direct),
            "### LiteLLM proxy 1.108.7\n\n" + target_table(litellm, direct),
        ]
        if not gateway.problem and not litellm.problem and gateway.plain and litellm.plain:
            sections.append("### Side by side (one worker each, same run, same fake vendor)\n\n"
                            + comparison_table(gateway, litellm, direct))
        sections.append(f"Load average at the end: {load_average()} (other work on the machine moves these numbers)")
        print("\n\n".join(sections), flush=True)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"bench-peer-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps({"args": vars(args), "pinned": pin, "direct": direct.summary(),
                                   "gateway": gateway.summary(), "litellm": litellm.summary()}, indent=2, default=str))
        log(f"results written to {out}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if not gateway.problem and not litellm.problem else 1


if __name__ == "__main__":
    sys.exit(main())
