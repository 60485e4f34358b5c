"""The ASGI application: a path dispatcher in front of two Django handlers, plus lifespan.

Django's ASGIHandler loads `settings.MIDDLEWARE`; the gateway handler loads
`settings.GATEWAY_MIDDLEWARE` instead, so /v1 requests skip the session, CSRF, auth and message
middleware whose sync hooks would each cost a thread hop.
"""
import asyncio
import json
import logging

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.urls import set_script_prefix

logger = logging.getLogger(__name__)

GATEWAY_PATH_PREFIX = "/v1/"


class GatewayASGIHandler(ASGIHandler):
    """Django's ASGIHandler with the /v1 middleware stack and without its two thread hops.

    Django sends request_started and closes the response through sync_to_async; both only run
    `close_old_connections`, which touches initialised connections, and the event loop thread
    never has one (the ORM refuses to run there). So here they run inline. The rest — body
    reading, disconnect detection that cancels the view, response sending — is Django's.
    """

    def load_middleware(self, is_async=False):
        configured = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.GATEWAY_MIDDLEWARE
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = configured

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return

        async def process_request():
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass
            return response

        listener = asyncio.create_task(self.listen_for_disconnect(receive))
        worker = asyncio.create_task(process_request())
        await asyncio.wait((listener, worker), return_when=asyncio.FIRST_COMPLETED)
        for task in (listener, worker):
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = worker.result()
        except asyncio.CancelledError:
            signals.request_finished.send(sender=self.__class__)
        else:
            response.close()
        body_file.close()


class GatewayApplication:
    def __init__(self):
        self.site = ASGIHandler()
        self.gateway = GatewayASGIHandler()

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            return await self.lifespan(receive, send)
        if kind != "http":
            return await self.site(scope, receive, send)
        is_gateway = scope["path"].startswith(GATEWAY_PATH_PREFIX)
        limit = settings.GATEWAY_MAX_BODY_BYTES if is_gateway else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if _declared_length(scope) > limit:
            return await _too_large(send, limit)
        handler = self.gateway if is_gateway else self.site
        try:
            return await handler(scope, _limited(receive, limit), send)
        except RequestTooLarge:
            return await _too_large(send, limit)

    async def lifespan(self, receive, send):
        from gateway.lifecycle import shutdown, startup

        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await startup()
                except Exception as exc:  # start-up must report, not hang
                    logger.exception("gateway start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _declared_length(scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _limited(receive, limit: int):
    """Cut off a body sent without Content-Length once it passes `limit` bytes."""
    seen = 0

    async def receive_limited():
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        if seen > limit:
            raise RequestTooLarge
        return message

    return receive_limited


class RequestTooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    body = json.dumps(
        {"error": {"message": f"The request body is larger than {limit} bytes.", "type": "invalid_request_error",
                   "param": None, "code": "request_too_large"}}
    ).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def build_application() -> GatewayApplication:
    return GatewayApplication()
