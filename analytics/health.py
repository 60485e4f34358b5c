"""Liveness and readiness probes: /healthz and /readyz.

Both are unauthenticated by design (load balancers and orchestrators call them) and say
nothing but which dependency failed. /healthz touches nothing: the process answers, so it is
alive. /readyz runs `SELECT 1` on the default database and, when REDIS_URL is set, a Redis
PING; any failure gives 503 naming the failed check.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
REDIS_TIMEOUT_S = 1.0

_redis_clients: dict[str, object] = {}


def database_is_ready(alias: str = "default") -> bool:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except DatabaseError:
        logger.warning("readiness: database %r unreachable", alias, exc_info=True)
        connections[alias].close()
        return False


def redis_is_ready(url: str) -> bool:
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S)
        _redis_clients[url] = client
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        logger.warning("readiness: redis unreachable", exc_info=True)
        return False


def readiness_checks() -> dict[str, str]:
    """{"database": "ok"|"failed", "redis": "ok"|"failed"|"not configured"}."""
    checks = {"database": "ok" if database_is_ready() else "failed"}
    redis_url = getattr(settings, "REDIS_URL", "")
    checks["redis"] = ("ok" if redis_is_ready(redis_url) else "failed") if redis_url else "not configured"
    return checks


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = readiness_checks()
    failed = sorted(name for name, outcome in checks.items() if outcome == "failed")
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed, "checks": checks}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
