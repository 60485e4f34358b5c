"""gateway/asgi.py: /v1 straight from ASGI messages (framing, errors, clients that leave)."""
import asyncio
import logging

import orjson
from gateway import asgi, endpoints
from gateway.replies import JSONReply, StreamReply


def scope(method: str, path: str, headers=()) -> dict:
    return {"type": "http", "method": method, "path": path, "headers": list(headers), "query_string": b""}


class Exchange:
    """Scripted receive messages; what the app sent."""

    def __init__(self, *messages, then_disconnect: asyncio.Event | None = None):
        self.messages = list(messages) or [{"type": "http.request", "body": b"", "more_body": False}]
        self.then_disconnect = then_disconnect or asyncio.Event()
        self.sent: list[dict] = []

    async def receive(self):
        if self.messages:
            return self.messages.pop(0)
        await self.then_disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(self, message):
        self.sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            self.then_disconnect.set()  # as uvicorn: once the response is complete, receive says disconnect

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.sent if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(next(m["headers"] for m in self.sent if m["type"] == "http.response.start"))

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.sent if m["type"] == "http.response.body")


async def call(exchange: Exchange, method="GET", path="/v1/models", headers=()) -> Exchange:
    await asgi.V1Application()(scope(method, path, headers), exchange.receive, exchange.send)
    return exchange


async def test_an_unknown_v1_path_is_a_json_404():
    answer = await call(Exchange(), path="/v1/engines")

    assert answer.status == 404
    assert orjson.loads(answer.body)["error"]["code"] == "unknown_url"
    assert answer.headers[b"content-length"] == str(len(answer.body)).encode()


async def test_a_wrong_method_is_a_405_that_names_the_right_one():
    answer = await call(Exchange(), method="GET", path="/v1/chat/completions")

    assert answer.status == 405
    assert answer.headers[b"allow"] == b"POST"


async def test_the_body_is_read_whole_from_several_messages(monkeypatch):
    seen = {}

    async def fake_answer(method, path, header, body):
        seen.update(method=method, body=body, authorization=header("authorization"), other=header("x-other"))
        return JSONReply(200, {"ok": True})

    monkeypatch.setattr(endpoints, "answer", fake_answer)
    exchange = Exchange({"type": "http.request", "body": b'{"a":', "more_body": True},
                        {"type": "http.request", "body": b"1}", "more_body": False})
    await call(exchange, method="POST", path="/v1/chat/completions",
               headers=[(b"authorization", b"Bearer gw-x"), (b"x-other", b"y")])

    assert seen == {"method": "POST", "body": b'{"a":1}', "authorization": "Bearer gw-x", "other": None}
    assert exchange.status == 200


async def test_a_header_sent_twice_is_read_joined_so_two_keys_authenticate_nobody(monkeypatch):
    seen = {}

    async def fake_answer(method, path, header, body):
        seen["authorization"] = header("authorization")
        return JSONReply(200, {})

    monkeypatch.setattr(endpoints, "answer", fake_answer)
    await call(Exchange(), headers=[(b"authorization", b"Bearer gw-a"), (b"authorization", b"Bearer gw-b")])

    assert seen["authorization"] == "Bearer gw-a,Bearer gw-b"


async def test_a_client_gone_before_its_body_arrived_gets_nothing(monkeypatch):
    async def fail(*args):
        raise AssertionError("nothing to answer")

    monkeypatch.setattr(endpoints, "answer", fail)
    exchange = await call(Exchange({"type": "http.disconnect"}), method="POST", path="/v1/chat/completions")

    assert exchange.sent == []


async def test_an_unexpected_error_is_a_500_in_the_api_error_shape_and_is_logged(monkeypatch, caplog):
    async def broken(*args):
        raise RuntimeError("secret detail sk-should-not-leak")

    monkeypatch.setattr(endpoints, "answer", broken)
    with caplog.at_level(logging.ERROR, logger="gateway.asgi"):
        answer = await call(Exchange())

    assert answer.status == 500
    assert orjson.loads(answer.body)["error"] == {
        "message": "The gateway failed to handle this request.", "type": "server_error", "param": None,
        "code": "internal_error",
    }
    assert b"sk-should-not-leak" not in answer.body
    assert "unexpected error answering GET /v1/models" in caplog.text


async def test_a_client_that_leaves_cancels_the_answer_and_the_app_returns_quietly(monkeypatch):
    left = asyncio.Event()
    cancelled = asyncio.Event()

    async def slow(*args):
        left.set()  # the client leaves while the answer is being prepared
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    monkeypatch.setattr(endpoints, "answer", slow)
    exchange = Exchange(then_disconnect=left)
    await asyncio.wait_for(call(exchange), timeout=5)

    assert cancelled.is_set()
    assert exchange.sent == []
    assert asyncio.current_task().cancelling() == 0


async def test_a_stream_is_sent_chunk_by_chunk_and_closed_when_the_client_leaves(monkeypatch):
    left = asyncio.Event()
    closed = asyncio.Event()

    async def chunks():
        try:
            yield b"data: 1\n\n"
            left.set()
            await asyncio.sleep(30)
            yield b"data: 2\n\n"
        finally:
            closed.set()

    async def streaming(*args):
        return StreamReply(chunks(), {"x-gateway-request-id": "abc"})

    monkeypatch.setattr(endpoints, "answer", streaming)
    exchange = Exchange(then_disconnect=left)
    await asyncio.wait_for(call(exchange, method="POST", path="/v1/chat/completions"), timeout=5)

    assert closed.is_set()
    assert exchange.status == 200
    assert exchange.headers[b"content-type"] == b"text/event-stream"
    assert exchange.headers[b"cache-control"] == b"private, no-cache, no-store"
    assert exchange.headers[b"x-gateway-request-id"] == b"abc"
    assert exchange.body == b"data: 1\n\n"


async def test_a_finished_answer_is_not_cancelled_by_the_end_of_the_exchange(monkeypatch):
    async def quick(*args):
        await asyncio.sleep(0)
        return JSONReply(200, {"ok": True}, {"X-Thing": "1"})

    monkeypatch.setattr(endpoints, "answer", quick)
    exchange = await call(Exchange())
    await asyncio.sleep(0.01)  # the listener sees the end of the exchange as a disconnect

    assert exchange.status == 200
    assert orjson.loads(exchange.body) == {"ok": True}
    assert exchange.headers[b"x-thing"] == b"1"
    assert asyncio.current_task().cancelling() == 0
    # the disconnect listener ended by itself, without being cancelled (no CancelledError cycle)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []
