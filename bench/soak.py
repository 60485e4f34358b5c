"""`make soak`: the gateway as deployed under sustained concurrent load with a faulty vendor.

Each run, in a temp dir, on 127.0.0.1 only: the fake vendors as a process of their own
(tests/fakes/vendors.py) failing `--fault-rate` of calls at random (5xx, 429 with Retry-After,
answers slower than the gateway's first-byte timeout, resets before the first byte and after a
few chunks); a throwaway database, migrated (PostgreSQL `gw_soak_<pid>`, created and dropped
through the admin URL, or a SQLite file); gunicorn with uvicorn workers; `--clients` concurrent
clients for `--duration` seconds, streams among them (bench/soak_load.py). Then it checks:
no 500 (nor any status but 200 and 503), every answer well formed with a request id, the ids
unique, usage records equal to the requests sent exactly (after a graceful stop), worker RSS
flat between the start, middle and end samples, the same worker pids throughout, no "database
is locked", no traceback and no ERROR line in the gateway's log, and every fault kind injected.

`--database postgres` (default): 4 workers + Redis (a scratch database 8-15 of
127.0.0.1:6379, flushed before and after). `--database sqlite`: 1 worker, no Redis (SQLite's
supported setup). `--database both`: one after the other, side by side in one table.
Every process is stopped by its process group when the run ends, whatever happened.

Usage: python -m bench.soak [--database both] [--duration 120] [--clients 200] [--keep]
Exit status 0 when every check passed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.processes import Services, exit_cleanly_on_signals, free_port, workers_rss_mib  # noqa: E402
from bench.report import table  # noqa: E402
from bench.soak_checks import RSS_GROWTH_LIMIT_MIB, SoakReport, problems  # noqa: E402
from bench.soak_load import run_clients  # noqa: E402
from bench.soak_store import RecordStore, throwaway_postgres  # noqa: E402
from tests.e2e.gunicorn import REDIS_BASE_URL, STARTUP_COMPLETE, ScratchRedis, requests_by_worker  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "bench" / "results"
DEFAULT_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
FIRST_BYTE_TIMEOUT = 5.0
SLOW_DELAY = 7.0  # a "too slow" vendor answer: beyond FIRST_BYTE_TIMEOUT
REQUEST_DEADLINE = 60.0
CLIENT_TIMEOUT = 90.0  # longer than REQUEST_DEADLINE: the gateway answers first
RECORDS_WAIT = 60.0
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class SoakConfig:
    database: str = "postgres"
    workers: int = 4
    clients: int = 200
    duration: float = 120.0
    fault_rate: float = 0.10
    stream_share: float = 0.30
    seed: int = 7
    postgres_admin_url: str = DEFAULT_POSTGRES_ADMIN_URL
    redis_base_url: str = REDIS_BASE_URL
    use_redis: bool = True
    # MiB a worker may grow between the half-way and the final sample (see bench/soak_checks.py).
    rss_growth_limit_mib: float = RSS_GROWTH_LIMIT_MIB

    @property
    def label(self) -> str:
        workers = f"{self.workers} worker{'s' if self.workers != 1 else ''}"
        return f"{'PostgreSQL' if self.database == 'postgres' else 'SQLite'}, {workers}{' + Redis' if self.use_redis else ''}"


def _run_checked(cmd: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def gateway_env(workdir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    metrics_dir = workdir / "prometheus"
    metrics_dir.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="gatewayproj.settings", DEBUG="false", DATABASE_URL=database_url, REDIS_URL=redis_url,
        SECRET_KEY="soak-" + os.urandom(24).hex(), ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ALLOW_PRIVATE_PROVIDER_URLS="true", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        UPSTREAM_FIRST_BYTE_TIMEOUT=str(FIRST_BYTE_TIMEOUT), REQUEST_DEADLINE=str(REQUEST_DEADLINE),
    )  # fmt: skip
    return env


def start_vendor(services: Services, workdir: Path, config: SoakConfig):
    cmd = [sys.executable, "-m", "tests.fakes.vendors", "--port", "0", "--fault-rate", str(config.fault_rate),
           "--seed", str(config.seed), "--slow-delay", str(SLOW_DELAY)]
    service = services.start("fake vendors", cmd, env=dict(os.environ), log=workdir / "vendor.log", cwd=REPO, cpu=None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for line in service.log.read_text(errors="replace").splitlines():
            if line.startswith('{"port"'):
                return service, f"http://127.0.0.1:{json.loads(line)['port']}"
        if not service.is_running():
            break
        time.sleep(0.05)
    raise RuntimeError(f"the fake vendors did not start:\n{service.log_tail()}")


def start_gateway(services: Services, workdir: Path, env: dict[str, str], workers: int):
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "gatewayproj.asgi:application", "-k", "uvicorn_worker.UvicornWorker",
           "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "30",
           "--log-level", "info", "--no-control-socket"]
    service = services.start("gateway", cmd, env=env, log=workdir / "gateway.log", cwd=REPO, cpu=None)
    deadline = time.monotonic() + START_TIMEOUT
    while service.log.read_text(errors="replace").count(STARTUP_COMPLETE) < workers:
        if not service.is_running() or time.monotonic() > deadline:
            raise RuntimeError(f"the gateway did not start its {workers} workers:\n{service.log_tail()}")
        time.sleep(0.1)
    return service, f"http://127.0.0.1:{port}"


async def drive(config: SoakConfig, gateway, url: str, setup: dict, report: SoakReport):
    """The clients, and RSS samples after warm-up (a tenth in), half-way and at the end."""

    async def sample(label: str, at: float) -> None:
        await asyncio.sleep(at)
        report.rss[label] = workers_rss_mib(gateway.pid)

    samplers = [asyncio.create_task(sample("start", config.duration * 0.1)),
                asyncio.create_task(sample("middle", config.duration * 0.5))]
    report.tally = await run_clients(
        url, setup["gateway_key"], setup["models"], clients=config.clients, duration=config.duration,
        seed=config.seed, stream_share=config.stream_share, timeout=CLIENT_TIMEOUT,
    )
    report.rss["end"] = workers_rss_mib(gateway.pid)
    await asyncio.gather(*samplers)


def _event_loop_run(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def read_vendor_stats(vendor_url: str) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"{vendor_url}/_fake/stats", timeout=10) as response:
        return json.loads(response.read())


def run_soak(config: SoakConfig, *, keep: bool = False) -> SoakReport:
    """One soak run: start everything, drive the load, stop everything, collect what the checks need."""
    report = SoakReport(label=config.label, config=asdict(config))
    workdir = Path(tempfile.mkdtemp(prefix="gw-soak-"))
    try:
        with Services() as services, throwaway_postgres(config, workdir) as database_url, \
                (ScratchRedis(config.redis_base_url) if config.use_redis else _NoRedis()) as redis:
            vendor, vendor_url = start_vendor(services, workdir, config)
            env = gateway_env(workdir, database_url, redis.url if config.use_redis else "")
            _run_checked([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env, "migrate")
            setup = json.loads(_run_checked([sys.executable, "-m", "bench.soak_setup", "--vendor-url", vendor_url],
                                            env, "bench/soak_setup.py").strip().splitlines()[-1])
            gateway, url = start_gateway(services, workdir, env, config.workers)
            report.workers_at_start = sorted(workers_rss_mib(gateway.pid))
            started = time.monotonic()
            _event_loop_run(drive(config, gateway, url, setup, report))
            report.elapsed = time.monotonic() - started
            report.workers_at_end = sorted(workers_rss_mib(gateway.pid))
            store = RecordStore(database_url)
            report.records_before_stop = store.wait_for(report.tally.sent, timeout=RECORDS_WAIT)
            services.stop(gateway, grace=60)
            report.collect_records(store)
            report.collect_log(gateway.log.read_text(errors="replace"))
            report.requests_by_worker = requests_by_worker(Path(env["PROMETHEUS_MULTIPROC_DIR"]))
            report.vendor = read_vendor_stats(vendor_url)
            services.stop(vendor)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        report.setup_problem = str(exc)
    finally:
        if keep:
            report.workdir = str(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


class _NoRedis:
    url = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None


def summary_table(reports: list[SoakReport]) -> str:
    from bench.soak_checks import summary_rows

    headers = ["", *(r.label for r in reports)]
    return table(headers, summary_rows(reports))


def configs_from(args) -> list[SoakConfig]:
    common = dict(clients=args.clients, duration=args.duration, fault_rate=args.fault_rate,
                  stream_share=args.stream_share, seed=args.seed, postgres_admin_url=args.postgres_admin_url)
    configs = []
    if args.database in ("postgres", "both"):
        configs.append(SoakConfig(database="postgres", workers=args.workers, use_redis=True, **common))
    if args.database in ("sqlite", "both"):
        configs.append(SoakConfig(database="sqlite", workers=1, use_redis=False, **common))
    return configs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=("postgres", "sqlite", "both"), default="both")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers of the PostgreSQL run (SQLite: 1)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load per run")
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--stream-share", type=float, default=0.30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres-admin-url", default=DEFAULT_POSTGRES_ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep each run's temp dir (logs, SQLite database)")
    args = parser.parse_args(argv)
    exit_cleanly_on_signals()
    reports = []
    for config in configs_from(args):
        print(f"soak: {config.label}, {config.clients} clients for {config.duration:.0f} s ...", flush=True)
        reports.append(run_soak(config, keep=args.keep))
    print(summary_table(reports))
    failed = False
    for report in reports:
        found = problems(report)
        failed |= bool(found)
        print(f"\n{report.label}: " + ("all checks passed" if not found else "FAILED\n  - " + "\n  - ".join(found)))
        if report.workdir:
            print(f"  logs and database kept in {report.workdir}")
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"soak-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps([r.to_json() for r in reports], indent=2))
    print(f"\nresults: {path.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
