"""The OpenAI-compatible /v1 endpoints: authenticate, hand over to the pipeline, answer."""
from __future__ import annotations

import time

import orjson
from django.http import HttpResponse, StreamingHttpResponse

from gateway.auth import authenticate
from gateway.context import RequestContext
from gateway.errors import GatewayError, InvalidRequestError
from gateway.models_list import list_models

# Authenticated answers are never stored by a proxy (no-store); streams also say no-cache.
STREAM_HEADERS = {"Cache-Control": "private, no-cache, no-store", "X-Accel-Buffering": "no"}


def json_response(status: int, body: dict, headers: dict | None = None) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json", headers=headers)


def error_response(error: GatewayError) -> HttpResponse:
    return json_response(error.status, error.to_body(), error.headers)


def method_not_allowed(allowed: str) -> HttpResponse:
    error = InvalidRequestError(f"Use {allowed} on this endpoint.", code="method_not_allowed")
    response = json_response(405, error.to_body())
    response["Allow"] = allowed
    return response


async def chat_completions(request):
    started = time.perf_counter()
    if request.method != "POST":
        return method_not_allowed("POST")
    try:
        principal = await authenticate(request.headers.get("Authorization"))
    except GatewayError as error:
        return error_response(error)
    ctx = RequestContext(principal=principal, started=started)
    ctx.cache_bypass = request.headers.get("x-gateway-cache", "").strip().lower() == "no-cache"
    from gateway.pipeline import JSONReply, handle_chat  # noqa: PLC0415 (pipeline imports every step)

    reply = await handle_chat(ctx, request.body)
    if isinstance(reply, JSONReply):
        return json_response(reply.status, reply.body, reply.headers)
    response = StreamingHttpResponse(reply.chunks, content_type="text/event-stream")
    for name, value in {**reply.headers, **STREAM_HEADERS}.items():
        response[name] = value
    return response


async def models(request):
    if request.method != "GET":
        return method_not_allowed("GET")
    try:
        principal = await authenticate(request.headers.get("Authorization"))
    except GatewayError as error:
        return error_response(error)
    body = await list_models(principal)
    return json_response(200, body, {"Cache-Control": "private, no-store"})


async def not_found(request, path=""):
    error = InvalidRequestError("Unknown endpoint. This gateway serves /v1/chat/completions and /v1/models.",
                                code="unknown_url")
    return json_response(404, error.to_body())
