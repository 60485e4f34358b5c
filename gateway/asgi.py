"""The /v1 endpoints served straight from ASGI messages.

Django's request handler costs about 0.6 ms a request here (building HttpRequest and its META,
URL resolution, HttpResponse, two tasks to watch for a disconnect); the gateway's whole budget
is under 1.5 ms. So gatewayproj/dispatch.py hands /v1 paths to this small app, which reads the
body, picks the two headers the endpoints read, runs gateway.endpoints in the server's own task
and sends the reply. Settings, the ORM and the app registry are still Django's.

A client that leaves is noticed by one listener task, which cancels the request: the pipeline
then records it as 499 with whatever usage it had (gateway/streaming.py for streams).
"""
from __future__ import annotations

import asyncio
import logging

from gateway import endpoints
from gateway.errors import GatewayError
from gateway.replies import JSON_CONTENT_TYPE, SSE_CONTENT_TYPE, JSONReply, StreamReply, error_reply

logger = logging.getLogger(__name__)

JSON_TYPE_HEADER = (b"content-type", JSON_CONTENT_TYPE.encode())
SSE_TYPE_HEADER = (b"content-type", SSE_CONTENT_TYPE.encode())
INTERNAL_ERROR = GatewayError("The gateway failed to handle this request.")


class ClientLeft(Exception):
    pass


async def read_body(receive) -> bytes:
    """The whole request body; ClientLeft if the client disconnects first."""
    message = await receive()
    if message["type"] != "http.request":
        raise ClientLeft
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientLeft
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


def read_headers(scope) -> dict[str, str]:
    """The headers the endpoints read; one sent twice is joined with a comma, as Django does."""
    wanted = endpoints.READ_HEADERS
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in wanted:
            key = name.decode()
            text = value.decode("latin-1")
            headers[key] = f"{headers[key]},{text}" if key in headers else text
    return headers


def encode_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode("latin-1")) for name, value in headers.items()]


class DisconnectWatch:
    """Cancels the request's task when the client disconnects, until `stop()`.

    The listener is not cancelled when the answer is done: ASGI servers answer `receive()` with
    `http.disconnect` once the response is sent, so it ends on its own. Cancelling it would
    leave a CancelledError, its traceback and frames in a reference cycle on every request,
    which the garbage collector then has to find (a tenth of the worker's time under load).
    """

    def __init__(self, receive):
        self.task = asyncio.current_task()
        self.has_left = False
        self.is_stopped = False
        self.listener = asyncio.get_running_loop().create_task(self._listen(receive))

    async def _listen(self, receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
        if not self.is_stopped:
            self.has_left = True
            self.task.cancel()
        self.task = None

    def stop(self) -> None:
        self.is_stopped = True


async def send_json(send, reply: JSONReply) -> None:
    body = reply.encoded()
    headers = [JSON_TYPE_HEADER, (b"content-length", str(len(body)).encode()), *encode_headers(reply.headers)]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_stream(send, reply: StreamReply) -> None:
    chunks = reply.chunks
    try:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [SSE_TYPE_HEADER, *encode_headers(reply.all_headers())]})
        async for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        await chunks.aclose()  # a stream left early still settles its books (streaming.relay)


class V1Application:
    async def __call__(self, scope, receive, send) -> None:
        try:
            body = await read_body(receive)
        except ClientLeft:
            return
        headers = read_headers(scope)
        watch = DisconnectWatch(receive)
        has_reply = False
        try:
            reply = await endpoints.answer(scope["method"], scope["path"], headers.get, body)
            has_reply = True
            if isinstance(reply, JSONReply):
                await send_json(send, reply)
            else:
                await send_stream(send, reply)
        except asyncio.CancelledError:
            if not watch.has_left:
                raise
            asyncio.current_task().uncancel()  # our own cancellation, done with: the client is gone
        except Exception:
            logger.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            if not has_reply:  # after that, the response may have started: nothing more can be sent
                await send_json(send, error_reply(INTERNAL_ERROR))
        finally:
            watch.stop()
