"""The /v1 endpoints as Django views, for Django's test client and the URL resolver.

Production traffic reaches gateway.endpoints through gateway/asgi.py instead, without Django's
request and response objects; both frame the same replies.
"""
from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse

from gateway import endpoints
from gateway.replies import JSON_CONTENT_TYPE, SSE_CONTENT_TYPE, JSONReply, StreamReply, unknown_endpoint


def django_response(reply: JSONReply | StreamReply) -> HttpResponse | StreamingHttpResponse:
    if isinstance(reply, JSONReply):
        return HttpResponse(reply.encoded(), status=reply.status, content_type=JSON_CONTENT_TYPE,
                            headers=reply.headers)
    return StreamingHttpResponse(reply.chunks, content_type=SSE_CONTENT_TYPE, headers=reply.all_headers())


async def _answer(request, path: str):
    header = request.headers.get
    return django_response(await endpoints.answer(request.method, path, header, request.body))


async def chat_completions(request):
    return await _answer(request, endpoints.CHAT_PATH)


async def models(request):
    return await _answer(request, endpoints.MODELS_PATH)


async def not_found(request, path=""):
    return django_response(unknown_endpoint())
