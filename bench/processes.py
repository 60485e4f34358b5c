"""Start, watch and stop the servers a benchmark runs, and read their memory.

Every server starts in its own session (process group) and is stopped by that group's id only:
SIGTERM, then SIGKILL after a grace period. `Services` stops all it started, in reverse order,
when its `with` block ends, whatever happened inside.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def exit_cleanly_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, so `with Services()` still stops every server."""
    def _exit(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGHUP, _exit)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def can_pin() -> bool:
    return hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) >= 2


class Service:
    """One server process (and its children) in a process group of its own."""

    def __init__(self, name: str, cmd: list[str], *, env: dict[str, str], log: Path, cwd: Path, cpu: int | None):
        self.name = name
        self.log = log
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu), *cmd]
        self.cmd = cmd
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 10.0) -> None:
        if self.proc.returncode is not None and not _group_alive(self.pid):
            return
        _signal_group(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            self.proc.poll()
            if not _group_alive(self.pid):
                return
            time.sleep(0.05)
        _signal_group(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=5)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


class Services:
    """The servers of one run; all of them are stopped when the `with` block ends."""

    def __init__(self):
        self.started: list[Service] = []

    def start(self, name: str, cmd: list[str], **kwargs) -> Service:
        service = Service(name, cmd, **kwargs)
        self.started.append(service)
        return service

    def stop(self, service: Service, grace: float = 10.0) -> None:
        service.stop(grace)
        if service in self.started:
            self.started.remove(service)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        while self.started:
            self.started.pop().stop()


def wait_until_serving(service: Service, url: str, timeout: float = 60.0) -> None:
    """Wait until `url` answers any HTTP status; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not service.is_running():
            raise RuntimeError(f"{service.name} exited early:\n{service.log_tail()}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{service.name} did not answer {url} within {timeout:.0f} s:\n{service.log_tail()}")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return found


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def worker_pids(root: int) -> list[int]:
    """The serving processes under `root`: a pre-fork master's children, else `root` itself.

    `root` may be a `taskset` wrapper that exec'd the server, so it is the server's pid.
    """
    kids = children(root)
    return kids or [root]


def workers_rss_mib(root: int) -> dict[int, float]:
    return {pid: kib / 1024 for pid in worker_pids(root) if (kib := rss_kib(pid)) is not None}
