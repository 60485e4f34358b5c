"""A hostile vendor: every answer quotes back the API key it was sent, wherever it can.

    with LeakyVendor() as vendor:
        vendor.mode = "401"
        ... point a provider's base URL at vendor.url ...

Modes: "401" and "500" (a JSON error whose message, type, code and status all hold the key,
plus headers and a cookie holding it), "malformed" (200 with a non-JSON body quoting it), "html"
(502 HTML page quoting it), "redirect" (302 to a URL carrying it), "stream-error" (200 SSE: one
valid OpenAI chunk, then an in-band error event quoting it). aiohttp on 127.0.0.1 in a thread.
"""
from __future__ import annotations

import asyncio
import json
import threading

from aiohttp import web

MODES = ("401", "500", "malformed", "html", "redirect", "stream-error")


def key_sent(request: web.Request) -> str:
    for name in ("x-api-key", "x-goog-api-key"):
        if request.headers.get(name):
            return request.headers[name]
    authorization = request.headers.get("authorization", "")
    return authorization.partition(" ")[2] or request.query.get("key", "")


class LeakyVendor:
    def __init__(self) -> None:
        self.mode = "401"
        self.keys_seen: list[str] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def base_url(self, provider: str) -> str:
        return f"{self.url}/v1" if provider == "openai" else self.url

    def __enter__(self) -> LeakyVendor:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("The leaky vendor did not start.")
        return self

    def __exit__(self, *exc_info) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        key = key_sent(request)
        self.keys_seen.append(key)
        quoted = f"Incorrect API key provided: {key}. You can find your API key at https://vendor.example/{key}."
        headers = {"x-echo-key": key, "openai-processing-ms": key, "Set-Cookie": f"session={key}"}
        error = {"type": "error", "error": {"message": quoted, "type": key, "code": key, "status": key, "param": key}}
        if self.mode in ("401", "500"):
            return web.json_response(error, status=int(self.mode), headers=headers)
        if self.mode == "malformed":
            return web.Response(status=200, text=f"not json {quoted}", content_type="application/json", headers=headers)
        if self.mode == "html":
            return web.Response(status=502, text=f"<html><body>{quoted}</body></html>", content_type="text/html")
        if self.mode == "redirect":
            return web.Response(status=302, headers={"Location": f"http://127.0.0.1:9/?key={key}", **headers})
        return await self._stream_error(request, key, quoted)

    async def _stream_error(self, request: web.Request, key: str, quoted: str) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream", "x-echo-key": key})
        await response.prepare(request)
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}]}
        await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await asyncio.sleep(0.01)
        failure = {"error": {"message": quoted, "type": key, "code": key}}
        await response.write(f"data: {json.dumps(failure)}\n\n".encode())
        await response.write_eof()
        return response
