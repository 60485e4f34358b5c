"""`make bench`: the gateway's overhead over a fast fake vendor, with the full request path on.

Starts, in a temp dir: the fake vendor (bench/fake_vendor.py), a fresh gateway database (SQLite
file, or a throwaway PostgreSQL database with --postgres; Redis with --redis-url), and the gateway
as README deploys it — gunicorn + uvicorn worker, one worker. Every gateway request passes key
auth, the rate limit (a limit too high to bite), the exact-cache lookup (the prompt varies, so it
misses), the classifier and routing (`model: "auto"`) or the named-model path, the upstream call
and the usage record. Prints, at concurrency 1, 16 and 64: latency direct and through the
gateway, the overhead, requests per second, streaming time to first chunk, exact-cache hits, and
each worker's RSS after warm-up and after --soak-requests requests.

With two or more CPUs the gateway runs on CPU 1 and the load driver and fake vendor on CPU 0
(--no-pin to let them float). All servers are stopped by process group when the run ends.

Usage: python -m bench.run_bench [--duration 5] [--soak-requests 100000] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402
from bench.gateway_run import GatewayRun, gateway_options_from, add_gateway_arguments  # noqa: E402
from bench.sampling import start_sampling, summarise  # noqa: E402
from bench.processes import Services, can_pin, exit_cleanly_on_signals, workers_rss_mib  # noqa: E402
from bench.report import CONCURRENCIES, Load, load_average, ms, table  # noqa: E402
from bench.targets import start_fake_vendor  # noqa: E402

DRIVER_CPU, SERVER_CPU = 0, 1
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PROFILE_SECONDS = 15


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fake_alone_table(services: Services, workdir: Path, duration: float, pin: bool) -> tuple[str, dict]:
    """The fake vendor on its own core, loaded directly: it must be far faster than the gateway."""
    fake = start_fake_vendor(services, workdir, cpu=SERVER_CPU if pin else None, name="fake vendor (alone)")
    rows, data = [], {}
    for c in CONCURRENCIES:
        plain = report.measure(fake, Load(), c, duration)
        streamed = report.measure(fake, Load(stream=True), c, duration)
        data[c] = {"plain": plain.summary(), "stream": streamed.summary()}
        rows.append([c, report.rps(plain), ms(plain.latency_ms(50)), ms(plain.latency_ms(99)), report.rps(streamed),
                     ms(streamed.first_chunk_ms(50)), ms(streamed.first_chunk_ms(99)), report.errors(plain, streamed)])
    services.stop(fake.service)
    text = table(["c", "req/s", "p50 ms", "p99 ms", "stream req/s", "first chunk p50", "first chunk p99", "errors"], rows)
    return text, data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=None, help="seconds per measured point (5)")
    parser.add_argument("--soak-requests", type=int, default=None,
                        help="requests between the two RSS readings (100,000)")
    parser.add_argument("--quick", action="store_true", help="defaults of 2 s points and 5,000 soak requests")
    parser.add_argument("--chunks", type=int, default=8, help="content chunks per streamed answer")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and driver to CPUs")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (logs, database)")
    parser.add_argument("--py-spy", metavar="PATH", default=None,
                        help="sample the worker with this py-spy binary during the soak and print a summary")
    add_gateway_arguments(parser)
    args = parser.parse_args(argv)
    quick_or_full = (2.0, 5_000) if args.quick else (5.0, 100_000)
    args.duration = args.duration or quick_or_full[0]
    args.soak_requests = args.soak_requests or quick_or_full[1]
    exit_cleanly_on_signals()
    pin = can_pin() and not args.no_pin
    if pin:
        os.sched_setaffinity(0, {DRIVER_CPU})
    workdir = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    log(f"work dir {workdir}; pinning {'gateway on CPU 1, driver and fake on CPU 0' if pin else 'off'}")
    results: dict = {"args": vars(args), "pinned": pin}
    sections: list[str] = []
    ok = False
    try:
        with Services() as services:
            log("fake vendor alone")
            text, results["fake_alone"] = fake_alone_table(services, workdir, args.duration, pin)
            sections.append("### Fake vendor alone (its own core, loaded directly)\n\n" + text)
            fake = start_fake_vendor(services, workdir, cpu=DRIVER_CPU if pin else None, chunks=args.chunks)
            with GatewayRun(services, workdir, fake, gateway_options_from(args), cpu=SERVER_CPU if pin else None) as gw:
                ok = run_gateway_series(gw, fake, args, sections, results)
    finally:
        print("\n\n".join(sections), flush=True)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(results, indent=2, default=str))
        log(f"results written to {out}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


def run_gateway_series(gw: GatewayRun, fake, args, sections: list[str], results: dict) -> bool:
    if not gw.working:
        sections.append(f"### Gateway\n\nNot measured: {gw.problem}")
        log(gw.problem)
        return False
    target = gw.target
    sections.insert(0, f"Gateway command: `{' '.join(target.command)}`\n"
                       f"Database: {gw.database_label}; Redis: {gw.options.redis_url or 'off'}; "
                       f"load average at start: {load_average()}")
    named, auto = Load(), Load(model="auto")
    log("warm-up")
    for load in (named, auto, Load(stream=True)):
        gw.count(report.measure(target, load, 16, min(2.0, args.duration)))
    rss_warm = workers_rss_mib(target.service.pid)
    plain_rows, stream_rows, cache_rows = [], [], []
    data = results.setdefault("points", {})
    for c in CONCURRENCIES:
        log(f"concurrency {c}")
        direct = report.measure(fake, named, c, args.duration)
        via_named = gw.count(report.measure(target, named, c, args.duration))
        via_auto = gw.count(report.measure(target, auto, c, args.duration))
        direct_s = report.measure(fake, Load(stream=True), c, args.duration)
        via_s = gw.count(report.measure(target, Load(stream=True), c, args.duration))
        gw.count(report.measure(target, Load(vary=False), 1, 1.0, requests=1))  # the miss series evicted it
        hit = gw.count(report.measure(target, Load(vary=False), c, args.duration))
        data[c] = {name: r.summary() for name, r in
                   (("direct", direct), ("named", via_named), ("auto", via_auto), ("direct_stream", direct_s),
                    ("stream", via_s), ("cache_hit", hit))}
        d50, d99 = direct.latency_ms(50), direct.latency_ms(99)
        plain_rows.append([
            c, ms(d50), ms(d99),
            ms(via_named.latency_ms(50)), ms(via_named.latency_ms(99)), ms(via_named.latency_ms(50) - d50),
            ms(via_auto.latency_ms(50)), ms(via_auto.latency_ms(99)), ms(via_auto.latency_ms(50) - d50),
            report.rps(direct), report.rps(via_named), report.rps(via_auto), report.errors(via_named, via_auto),
        ])
        stream_rows.append([
            c, ms(direct_s.first_chunk_ms(50)), ms(via_s.first_chunk_ms(50)),
            ms(via_s.first_chunk_ms(50) - direct_s.first_chunk_ms(50)),
            ms(direct_s.first_chunk_ms(99)), ms(via_s.first_chunk_ms(99)),
            ms(via_s.latency_ms(50)), report.rps(via_s), report.errors(via_s),
        ])
        cache_rows.append([c, ms(hit.latency_ms(50)), ms(hit.latency_ms(99)), ms(hit.latency_ms(50) - d50),
                           report.rps(hit), report.headers_seen(hit) or "-", report.errors(hit)])
    log(f"{args.soak_requests:,} requests at c=64 before the second RSS reading")
    sampler = None
    if args.py_spy:
        profile_out = RESULTS_DIR / f"profile-{time.strftime('%Y%m%d-%H%M%S')}.txt"
        RESULTS_DIR.mkdir(exist_ok=True)
        sampler = start_sampling(args.py_spy, next(iter(rss_warm)), PROFILE_SECONDS, profile_out)
    started = time.perf_counter()
    soak = gw.count(report.measure(target, auto, 64, duration=3600.0, requests=args.soak_requests))
    soak_s = time.perf_counter() - started
    rss_after = workers_rss_mib(target.service.pid)
    results.update(rss_warm=rss_warm, rss_after=rss_after, soak=soak.summary())
    sections.append(
        "### Non-streamed chat completions: latency (ms) and throughput (cache miss: every prompt differs)\n\n"
        + table(["c", "direct p50", "direct p99", "named p50", "named p99", "named +p50", "auto p50", "auto p99",
                 "auto +p50", "direct req/s", "named req/s", "auto req/s", "errors"], plain_rows)
        + "\n\n`named`: model `bench-model`; `auto`: classified and routed. `+p50`: gateway p50 minus direct p50."
    )
    sections.append(
        "### Streamed chat completions: time to first chunk (ms)\n\n"
        + table(["c", "direct p50", "gateway p50", "overhead p50", "direct p99", "gateway p99", "gateway total p50",
                 "gateway req/s", "errors"], stream_rows)
    )
    sections.append("### Exact-cache hits (the same request repeated)\n\n"
                    + table(["c", "p50 ms", "p99 ms", "+p50 vs direct miss", "req/s", "response headers", "errors"],
                            cache_rows))
    rss_rows = [[pid, f"{rss_warm.get(pid, float('nan')):.1f}", f"{mib:.1f}",
                 f"{mib - rss_warm.get(pid, float('nan')):+.1f}"] for pid, mib in rss_after.items()]
    sections.append(
        f"### Worker memory (RSS, MiB)\n\n{args.soak_requests:,} requests (`auto`, c=64) took {soak_s:.1f} s "
        f"({soak.requests_per_second:,.0f} req/s; errors: {report.errors(soak)}).\n\n"
        + table(["worker pid", "after warm-up", f"after {args.soak_requests:,} more", "growth"], rss_rows)
    )
    sections.append(f"Load average at the end: {load_average()} (other work on the machine moves these numbers).")
    if sampler is not None:
        sampler.wait(timeout=PROFILE_SECONDS + 60)
        sections.append(f"### Profile of the worker during the first {PROFILE_SECONDS} s of the soak (py-spy, "
                        f"raw stacks in {profile_out})\n\n```\n{summarise(profile_out)}\n```")
    usage = gw.stop_and_count_usage()
    results["usage"] = usage
    sections.append(f"Usage records written: {usage['rows']:,} for {usage['responses']:,} gateway responses; "
                    f"gateway log: {usage['log_problems']} ERROR/Traceback lines.")
    return True


if __name__ == "__main__":
    sys.exit(main())
