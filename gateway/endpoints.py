"""The /v1 endpoints, whatever serves them: (method, path, headers, body) -> a reply.

gateway/asgi.py serves them in production; gateway/views.py frames the same replies as Django
responses (Django's test client, the URL resolver). Header names are lower case.
"""
from __future__ import annotations

import time
from typing import Callable

from gateway.auth import authenticate
from gateway.context import RequestContext
from gateway.errors import GatewayError
from gateway.models_list import list_models
from gateway.pipeline import handle_chat
from gateway.replies import JSONReply, StreamReply, error_reply, method_not_allowed, unknown_endpoint

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
# The only request headers the endpoints read.
READ_HEADERS = (b"authorization", b"x-gateway-cache")

Header = Callable[[str], "str | None"]


async def answer(method: str, path: str, header: Header, body: bytes) -> JSONReply | StreamReply:
    if path == CHAT_PATH:
        return await chat_completions(header, body) if method == "POST" else method_not_allowed("POST")
    if path == MODELS_PATH:
        return await models(header) if method == "GET" else method_not_allowed("GET")
    return unknown_endpoint()


async def chat_completions(header: Header, body: bytes) -> JSONReply | StreamReply:
    started = time.perf_counter()
    try:
        principal = await authenticate(header("authorization"))
    except GatewayError as error:
        return error_reply(error)
    ctx = RequestContext(principal=principal, started=started)
    ctx.cache_bypass = (header("x-gateway-cache") or "").strip().lower() == "no-cache"
    return await handle_chat(ctx, body)


async def models(header: Header) -> JSONReply:
    try:
        principal = await authenticate(header("authorization"))
    except GatewayError as error:
        return error_reply(error)
    return JSONReply(200, await list_models(principal), {"Cache-Control": "private, no-store"})
