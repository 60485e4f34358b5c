"""ASGI-level calls of the real application, for what an HTTP client cannot easily send."""
from __future__ import annotations

import asyncio


async def asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    """POST into gatewayproj.asgi.application with these body messages; returns (status, body).

    Without a content-length header among `headers` the body is chunked, as a server passes a
    `Transfer-Encoding: chunked` request on."""
    from gatewayproj.asgi import application

    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages.append({"type": "http.request", "body": b"", "more_body": False})
    sent = []
    complete = asyncio.Event()

    async def receive():
        if messages:
            return messages.pop(0)
        await complete.wait()
        return {"type": "http.disconnect"}  # as ASGI servers answer once the response is sent

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete.set()

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}
    await application(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
