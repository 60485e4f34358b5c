"""The ASGI application: a path dispatcher in front of the /v1 app and Django, plus lifespan.

/v1 paths go to gateway.asgi.V1Application (no Django request handling: it costs more than the
gateway's whole budget); everything else goes to Django's ASGIHandler with the full middleware
stack. Both get the body size limit here, before a byte of an oversized body is read.
"""
import logging

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

logger = logging.getLogger(__name__)

GATEWAY_PATH_PREFIX = "/v1/"


class GatewayApplication:
    def __init__(self):
        from gateway.asgi import V1Application

        self.site = ASGIHandler()
        self.gateway = V1Application()

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
    from gateway.asgi import send_json
    from gateway.errors import PayloadTooLargeError
    from gateway.replies import error_reply

    await send_json(send, error_reply(PayloadTooLargeError(f"The request body is larger than {limit} bytes.")))


def build_application() -> GatewayApplication:
    return GatewayApplication()
