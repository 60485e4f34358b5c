"""One benchmark run of the gateway: throwaway database, gunicorn worker, usage count at the end.

`with GatewayRun(...) as gw:` prepares the database (SQLite file in the run's temp dir, or a
throwaway PostgreSQL database), runs bench/setup_gateway.py, starts gunicorn and sends one probe
request. `gw.working` says whether /v1/chat/completions answered 200; `gw.problem` says why not.
The database is dropped and the gateway stopped when the block ends.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

from bench.load import LoadResult
from bench.targets import REPO, GatewayOptions, Target, gateway_env, prepare_gateway_database, probe_chat, start_gateway

DEFAULT_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
NOT_A_RESPONSE = ("connection", "timeout", "incomplete-stream")


def add_gateway_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES_ADMIN_URL, default=None, metavar="ADMIN_URL",
                        help="use a throwaway PostgreSQL database created through ADMIN_URL (default: %(const)s)")
    parser.add_argument("--redis-url", default=None, help="shared cache and rate limits in this Redis")
    parser.add_argument("--access-log", action="store_true",
                        help="add gunicorn's --access-logfile - (make run leaves it off by default)")


def gateway_options_from(args) -> GatewayOptions:
    return GatewayOptions(postgres_admin_url=args.postgres, redis_url=args.redis_url, access_log=args.access_log)


class GatewayRun:
    def __init__(self, services, workdir, fake: Target, options: GatewayOptions, cpu: int | None):
        self.services = services
        self.workdir = workdir
        self.fake = fake
        self.options = options
        self.cpu = cpu
        self.target: Target | None = None
        self.problem = ""
        self.responses = 0
        self.env: dict[str, str] = {}
        self._postgres_db: str | None = None

    @property
    def working(self) -> bool:
        return self.target is not None and not self.problem

    @property
    def database_label(self) -> str:
        return f"PostgreSQL ({self._postgres_db})" if self._postgres_db else "SQLite file"

    def __enter__(self):
        vendor_base = f"{self.fake.base_url}/v1"
        try:
            database_url = self._create_database()
            self.env = gateway_env(self.workdir, vendor_base, database_url, self.options)
            setup = prepare_gateway_database(self.env, vendor_base)
            self.target = start_gateway(self.services, self.workdir, self.env, setup, cpu=self.cpu,
                                        access_log=self.options.access_log)
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            self.problem = f"the gateway could not be started: {exc}"
            return self
        status, body = probe_chat(self.target, self.target.named_model)
        self.responses += 1 if status else 0
        if status != 200:
            self.problem = (f"POST /v1/chat/completions answered {status or 'nothing'}: {body[:400]}\n"
                            f"gateway log:\n{self.target.service.log_tail(40)}")
        return self

    def __exit__(self, *exc):
        if self.target is not None:
            self.services.stop(self.target.service)
        self._drop_database()

    def count(self, result: LoadResult) -> LoadResult:
        """Count the gateway responses in `result` (to compare with the usage rows later)."""
        self.responses += result.ok + sum(n for kind, n in result.errors.items() if kind not in NOT_A_RESPONSE)
        return result

    def stop_and_count_usage(self) -> dict:
        """Stop the gateway gracefully (the recorder drains) and count what it recorded."""
        self.services.stop(self.target.service, grace=60)
        code = (
            "import django; django.setup(); from analytics.models import UsageRecord as U; "
            "print(U.objects.count())"
        )
        done = subprocess.run([sys.executable, "-c", code], env=self.env, cwd=REPO, capture_output=True, text=True,
                              timeout=120)
        rows = int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else -1
        log_text = self.target.service.log.read_text(errors="replace")
        problems = sum(1 for line in log_text.splitlines() if " ERROR " in line or line.startswith("Traceback"))
        return {"rows": rows, "responses": self.responses, "log_problems": problems}

    def _create_database(self) -> str:
        if not self.options.postgres_admin_url:
            return f"sqlite:///{self.workdir / 'gateway.db'}"
        import psycopg

        name = f"gateway_bench_{os.getpid()}"
        with psycopg.connect(self.options.postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._postgres_db = name
        base = self.options.postgres_admin_url.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def _drop_database(self) -> None:
        if not self._postgres_db:
            return
        import psycopg

        with psycopg.connect(self.options.postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self._postgres_db}" WITH (FORCE)')
        self._postgres_db = None
