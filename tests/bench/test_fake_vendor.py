"""The fake vendor speaks OpenAI's chat completions wire format over keep-alive HTTP/1.1."""
import asyncio

import aiohttp
import orjson
import pytest

from bench.fake_vendor import VendorConfig, start_fake_vendor


@pytest.fixture
async def vendor_url():
    server = await start_fake_vendor(0, VendorConfig(chunks=3))
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()
    await server.wait_closed()


async def _post(url: str, body) -> tuple[int, bytes, dict]:
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=orjson.dumps(body) if not isinstance(body, bytes) else body) as response:
            return response.status, await response.read(), dict(response.headers)


def _events(raw: bytes) -> list[bytes]:
    return [block.removeprefix(b"data: ") for block in raw.split(b"\n\n") if block]


async def test_completion_names_the_requested_model_and_carries_usage(vendor_url):
    status, raw, headers = await _post(f"{vendor_url}/v1/chat/completions", {"model": "m-1", "messages": []})
    body = orjson.loads(raw)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert body["object"] == "chat.completion"
    assert body["model"] == "m-1"
    assert body["choices"][0]["message"]["content"] == "word0 word1 word2 "
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}


async def test_stream_sends_its_chunks_then_a_finish_a_usage_chunk_and_done(vendor_url):
    status, raw, headers = await _post(f"{vendor_url}/v1/chat/completions", {"model": "m-2", "stream": True})
    events = _events(raw)
    chunks = [orjson.loads(e) for e in events[:-1]]
    assert status == 200
    assert headers["Content-Type"] == "text/event-stream"
    assert events[-1] == b"[DONE]"
    assert [c["choices"][0]["delta"].get("content") for c in chunks[:3]] == ["word0 ", "word1 ", "word2 "]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[3]["choices"][0]["finish_reason"] == "stop"
    assert chunks[4]["choices"] == [] and chunks[4]["usage"]["completion_tokens"] == 3
    assert {c["model"] for c in chunks} == {"m-2"}


async def test_spaced_stream_chunks_carry_the_same_events():
    server = await start_fake_vendor(0, VendorConfig(chunks=2, chunk_delay_ms=1, think_ms=1))
    port = server.sockets[0].getsockname()[1]
    try:
        status, raw, _ = await _post(f"http://127.0.0.1:{port}/chat/completions", {"model": "m", "stream": True})
    finally:
        server.close()
    assert status == 200
    assert len(_events(raw)) == 2 + 3


async def test_one_connection_serves_pipelined_requests_in_order(vendor_url):
    port = int(vendor_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    requests = b""
    for model in (b"first", b"second"):
        body = b'{"model":"' + model + b'"}'
        requests += b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    writer.write(requests)
    answers = []
    for _ in range(2):
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        answers.append(orjson.loads(await reader.readexactly(length))["model"])
    writer.close()
    assert answers == ["first", "second"]


async def test_chunked_request_body_is_read(vendor_url):
    port = int(vendor_url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                 b"Connection: close\r\n\r\n6\r\n{\"mode\r\n9\r\nl\":\"chk\"}\r\n0\r\n\r\n")
    raw = await reader.read()
    writer.close()
    assert raw.startswith(b"HTTP/1.1 200 OK")
    assert b'"model":"chk"' in raw


async def test_unknown_path_is_404_in_openai_error_shape(vendor_url):
    status, raw, _ = await _post(f"{vendor_url}/v1/embeddings", {"model": "m"})
    assert status == 404
    assert orjson.loads(raw)["error"]["message"] == "unknown path"


async def test_body_that_is_not_a_json_object_is_400(vendor_url):
    status, raw, _ = await _post(f"{vendor_url}/v1/chat/completions", b"[1, 2]")
    assert status == 400
    assert "error" in orjson.loads(raw)
