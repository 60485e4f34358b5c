"""The gateway as deployed: gunicorn with uvicorn workers, in a subprocess on 127.0.0.1.

It shares the test database (committed data: use transactional_db) and Redis, so several
workers really are separate processes with shared state. Stopped by PID when the test ends.

    with ScratchRedis() as scratch:
        server = GunicornGateway(workers=4, redis_url=scratch.url).start()
        ...
        server.stop()

`ScratchRedis` claims a Redis database of its own (8-15 on 127.0.0.1:6379) through a lock file,
so that two test runs or soak runs on one machine never share one; it flushes that database,
and only that one, when claimed and when released. Key ids and user ids restart with every test
database, so counters or cached answers left by another run would otherwise be read as ours.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_BASE_URL = "redis://127.0.0.1:6379"
SCRATCH_DATABASES = range(8, 16)
# What uvicorn logs (at info) in each worker once the ASGI lifespan start-up has run.
STARTUP_COMPLETE = "Application startup complete."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test process's database, as a DATABASE_URL for the subprocess."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def requests_by_worker(metrics_dir: Path) -> dict[int, float]:
    """{pid: gateway_requests_total} of each worker that counted a request, read from its own
    prometheus_client multiprocess file (the merged /metrics cannot tell workers apart)."""
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in Path(metrics_dir).glob("counter_*.db"):
        pid = int(path.stem.split("_")[-1])
        for metric in MultiProcessCollector.merge([str(path)]):
            if metric.name == "gateway_requests":
                counts[pid] = sum(s.value for s in metric.samples if s.name == "gateway_requests_total")
    return {pid: count for pid, count in counts.items() if count}


class ScratchRedis:
    def __init__(self, base_url: str = REDIS_BASE_URL, *, wait: float = 180.0):
        self.base_url = base_url.rstrip("/")
        self.wait = wait
        self.number: int | None = None
        self._lock_file = None

    @property
    def url(self) -> str:
        return f"{self.base_url}/{self.number}"

    def __enter__(self) -> "ScratchRedis":
        deadline = time.monotonic() + self.wait
        while self.number is None:
            for number in SCRATCH_DATABASES:
                if self._try_claim(number):
                    break
            else:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Redis databases {SCRATCH_DATABASES} are all claimed by other runs.")
                time.sleep(0.5)
        self.flush()
        return self

    def _try_claim(self, number: int) -> bool:
        port = self.base_url.rsplit(":", 1)[-1]
        path = Path(tempfile.gettempdir()) / f"gw-scratch-redis-{port}-{number}.lock"
        lock_file = open(path, "a")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            return False
        self._lock_file, self.number = lock_file, number
        return True

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def flush(self) -> None:
        with self.client() as client:
            client.flushdb()

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.flush()
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file, self.number = None, None


class PrivateRedis:
    """A redis-server of its own on a free port (no persistence), stopped by PID: for tests that
    count what the gateway does to Redis (connections, commands) with nobody else's traffic."""

    def __init__(self):
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="gw-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> "PrivateRedis":
        server = shutil.which("redis-server")
        assert server, "redis-server is not installed (Debian package redis-server)"
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis(port=self.port) as client:
                    client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.__exit__()
                    raise RuntimeError("the private redis-server did not start") from None
                time.sleep(0.05)

    def connections_received(self) -> int:
        with redis.Redis(port=self.port) as client:
            return int(client.info("stats")["total_connections_received"])

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)


class GunicornGateway:
    def __init__(self, *, workers: int, redis_url: str, env: dict[str, str] | None = None):
        from django.conf import settings

        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="gw-gunicorn-"))
        self.metrics_dir = self.workdir / "prometheus"
        self.metrics_dir.mkdir()
        self.log_path = self.workdir / "gunicorn.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gatewayproj.settings",
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ENCRYPTION_KEY": settings.ENCRYPTION_KEY,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "ALLOW_PRIVATE_PROVIDER_URLS": "true",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            **(env or {}),
        }
        # No control socket: gunicorn's default path is one per user, shared by every gunicorn
        # the tests (or another engineer) start at the same time.
        self.command = [
            sys.executable, "-m", "gunicorn", "gatewayproj.asgi:application",
            "-k", "uvicorn_worker.UvicornWorker", "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "10", "--log-level", "info",
            "--no-control-socket",
        ]
        self.workers = workers
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "GunicornGateway":
        """Start gunicorn and return once every worker has finished its ASGI start-up (so that a
        burst of requests can reach all of them, not only the first one up)."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.log_text().count(STARTUP_COMPLETE) >= self.workers and self._is_healthy():
                return self
            time.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"gunicorn did not become healthy in time:\n{tail}")

    def _is_healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        pids = []
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            pids += [int(pid) for pid in task.read_text().split()]
        return pids

    def requests_by_worker(self) -> dict[int, float]:
        return requests_by_worker(self.metrics_dir)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the group this test started, by its PID
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        shutil.rmtree(self.workdir, ignore_errors=True)
