"""The servers a benchmark sends load to: the fake vendor, the gateway, the LiteLLM proxy.

Each `start_*` starts one server under a `Services` (so it is stopped when the run ends) and
returns a `Target`: where to send chat completions, with which headers and model names.
The gateway runs as README deploys it (gunicorn with the uvicorn worker, one worker) on a fresh
database in the run's temp dir, prepared by bench/setup_gateway.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.processes import HOST, Service, Services, free_port, wait_until_serving

REPO = Path(__file__).resolve().parent.parent
PEER_VENV = REPO / "bench" / ".peer-venv"
PEER_CONFIG = REPO / "bench" / "peer" / "config.yaml"
FAKE_VENDOR_KEY = "sk-bench-fake-vendor-key-0000"
LITELLM_MASTER_KEY = "sk-bench-litellm-master-0000"
GATEWAY_PROBE_TIMEOUT = 30.0


@dataclass
class Target:
    name: str
    service: Service
    base_url: str
    headers: tuple[tuple[str, str], ...] = ()
    named_model: str = "bench-model"
    command: list[str] = field(default_factory=list)

    @property
    def chat_url(self) -> str:
        return f"{self.base_url}/v1/chat/completions"


@dataclass(frozen=True)
class GatewayOptions:
    """How to run the gateway: database and Redis (defaults: SQLite file, no Redis)."""

    postgres_admin_url: str | None = None
    redis_url: str | None = None
    access_log: bool = True


def start_fake_vendor(services: Services, workdir: Path, *, cpu: int | None, chunks: int = 8,
                      think_ms: float = 0.0, chunk_delay_ms: float = 0.0, name: str = "fake vendor") -> Target:
    port = free_port()
    cmd = [sys.executable, "-m", "bench.fake_vendor", "--port", str(port), "--chunks", str(chunks),
           "--think-ms", str(think_ms), "--chunk-delay-ms", str(chunk_delay_ms)]
    service = services.start(name, cmd, env=dict(os.environ), log=workdir / f"fake-{port}.log", cwd=REPO, cpu=cpu)
    base = f"http://{HOST}:{port}"
    wait_until_serving(service, f"{base}/v1/models", timeout=20)
    return Target(name=name, service=service, base_url=base, command=service.cmd)


def gateway_env(workdir: Path, vendor_base_url: str, database_url: str, options: GatewayOptions) -> dict[str, str]:
    from cryptography.fernet import Fernet

    prometheus_dir = workdir / "prometheus"
    prometheus_dir.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="gatewayproj.settings",
        DATABASE_URL=database_url,
        SECRET_KEY="bench-" + os.urandom(24).hex(),
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
        DEBUG="false",
        ALLOW_PRIVATE_PROVIDER_URLS="true",
        OPENAI_BASE_URL=vendor_base_url,
        REDIS_URL=options.redis_url or "",
        PROMETHEUS_MULTIPROC_DIR=str(prometheus_dir),
    )
    return env


def _run_checked(cmd: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_gateway_database(env: dict[str, str], vendor_base_url: str) -> dict:
    """Migrate the run's database and create the bench user, keys and models; returns setup's JSON."""
    _run_checked([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env, "migrate")
    out = _run_checked(
        [sys.executable, str(REPO / "bench" / "setup_gateway.py"), "--vendor-base-url", vendor_base_url],
        env, "bench/setup_gateway.py",
    )
    return json.loads(out.strip().splitlines()[-1])


def start_gateway(services: Services, workdir: Path, env: dict[str, str], setup: dict, *, cpu: int | None,
                  access_log: bool = True) -> Target:
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "gatewayproj.asgi:application",
           "-k", "uvicorn_worker.UvicornWorker", "--workers", "1", "--bind", f"{HOST}:{port}",
           "--graceful-timeout", "30", "--control-socket", str(workdir / "gunicorn.ctl")]
    if access_log:
        cmd += ["--access-logfile", "-"]
    service = services.start("gateway", cmd, env=env, log=workdir / "gateway.log", cwd=REPO, cpu=cpu)
    base = f"http://{HOST}:{port}"
    wait_until_serving(service, f"{base}/healthz", timeout=60)
    return Target(
        name="gateway", service=service, base_url=base,
        headers=(("Authorization", f"Bearer {setup['gateway_key']}"),),
        named_model=setup["named_model"], command=service.cmd,
    )


def probe_chat(target: Target, model: str, stream: bool = False) -> tuple[int, str]:
    """Send one chat completion; returns (status, start of the body) — 0 when nothing answered."""
    body = {"model": model, "messages": [{"role": "user", "content": "Say hello."}]}
    if stream:
        body["stream"] = True
    request = urllib.request.Request(
        target.chat_url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **dict(target.headers)},
    )
    try:
        with urllib.request.urlopen(request, timeout=GATEWAY_PROBE_TIMEOUT) as response:
            return response.status, response.read(600).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(600).decode(errors="replace")
    except OSError as exc:
        return 0, str(exc)


def peer_pth_problems() -> list[str]:
    sys.path.insert(0, str(REPO / "bench" / "peer"))
    try:
        from check_pth import pth_problems
    finally:
        sys.path.pop(0)
    return pth_problems(PEER_VENV)


def start_litellm(services: Services, workdir: Path, vendor_base_url: str, *, cpu: int | None) -> Target:
    """Start the LiteLLM proxy (bench/.peer-venv, one uvicorn worker) in front of the fake vendor."""
    litellm = PEER_VENV / "bin" / "litellm"
    if not litellm.exists():
        raise RuntimeError(f"{litellm} is missing: run `bash bench/peer/install.sh` (make bench-peer does)")
    problems = peer_pth_problems()
    if problems:
        raise RuntimeError("refusing the peer venv:\n" + "\n".join(problems))
    port = free_port()
    env = dict(os.environ)
    env.update(
        BENCH_FAKE_VENDOR_BASE=vendor_base_url,
        BENCH_FAKE_VENDOR_KEY=FAKE_VENDOR_KEY,
        LITELLM_MASTER_KEY=LITELLM_MASTER_KEY,
        LITELLM_TELEMETRY_DISABLED="true",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    for inherited in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(inherited, None)
    cmd = [str(litellm), "--config", str(PEER_CONFIG), "--host", HOST, "--port", str(port), "--num_workers", "1"]
    service = services.start("litellm", cmd, env=env, log=workdir / "litellm.log", cwd=workdir, cpu=cpu)
    base = f"http://{HOST}:{port}"
    wait_until_serving(service, f"{base}/health/liveliness", timeout=180)
    return Target(
        name="litellm", service=service, base_url=base,
        headers=(("Authorization", f"Bearer {LITELLM_MASTER_KEY}"),), named_model="bench-model", command=service.cmd,
    )
