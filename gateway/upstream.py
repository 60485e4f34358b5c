"""The process's pooled HTTP client for vendor calls: httpx's API over aiohttp's transport.

One client per event loop (a worker has one loop; tests start several). httpx over
`httpx_aiohttp.AiohttpTransport` measured ~40% faster here than httpx's own transport.
"""
from __future__ import annotations

import asyncio

import httpx
from django.conf import settings
from httpx_aiohttp import AiohttpTransport

_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def _new_client() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=256, keepalive_expiry=30)
    timeout = httpx.Timeout(
        connect=settings.UPSTREAM_CONNECT_TIMEOUT,
        read=settings.UPSTREAM_READ_TIMEOUT,
        write=settings.UPSTREAM_READ_TIMEOUT,
        pool=settings.UPSTREAM_CONNECT_TIMEOUT,
    )
    return httpx.AsyncClient(
        transport=AiohttpTransport(limits=limits, trust_env=False),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    )


def get_client() -> httpx.AsyncClient:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        for stale in [lp for lp in _clients if lp.is_closed()]:
            _clients.pop(stale, None)
        client = _clients[loop] = _new_client()
    return client


async def open_client() -> None:
    get_client()


async def close_client() -> None:
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()
