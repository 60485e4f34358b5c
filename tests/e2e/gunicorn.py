"""The gateway as deployed: gunicorn with uvicorn workers, in a subprocess on 127.0.0.1.

It shares the test database (committed data: use transactional_db) and Redis, so several
workers really are separate processes with shared state. Stopped by PID when the test ends.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class GunicornGateway:
    def __init__(self, *, workers: int, redis_url: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.metrics_dir = tempfile.mkdtemp(prefix="gw-metrics-")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gatewayproj.settings",
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,
            "ENCRYPTION_KEY": settings.ENCRYPTION_KEY,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "ALLOW_PRIVATE_PROVIDER_URLS": "true",
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir,
            **(env or {}),
        }
        self.command = [
            sys.executable, "-m", "gunicorn", "gatewayproj.asgi:application",
            "-k", "uvicorn_worker.UvicornWorker", "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "10", "--log-level", "warning",
        ]
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "GunicornGateway":
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not become healthy in time")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the group this test started, by its PID
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
