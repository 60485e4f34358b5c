"""Retries, backoff and fallbacks of gateway.calls, with vendors faked by respx."""
from decimal import Decimal

import httpx
import orjson
import pytest
import respx

from gateway import calls
from gateway.calls import Candidate, FailureLog
from gateway.context import RequestContext
from gateway.errors import AllProvidersFailedError, InvalidRequestError, UpstreamError
from gateway.principal import GatewayPrincipal
from gateway.registry import ModelInfo

OPENAI_URL = "https://openai.test/v1/chat/completions"
ANTHROPIC_URL = "https://anthropic.test/v1/messages"


def model(model_id, provider):
    return ModelInfo(
        model_id=model_id, provider=provider, display_name=model_id, input_price=Decimal(1), output_price=Decimal(2),
        cached_input_price=None, quality=80, speed=80, context_window=100_000, max_output_tokens=4096,
        supports_tools=True, supports_vision=False, supports_json_mode=True,
    )


OPENAI = Candidate(model("gpt-a", "openai"), "sk-openai", "https://openai.test/v1")
ANTHROPIC = Candidate(model("claude-b", "anthropic"), "sk-ant", "https://anthropic.test")


def openai_answer(text="hello"):
    return httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 1, "model": "gpt-a",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    })


def anthropic_answer(text="bonjour"):
    return httpx.Response(200, json={
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-b",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 4, "output_tokens": 3},
    })


def openai_stream(*parts):
    lines = [
        {"id": "x", "object": "chat.completion.chunk", "created": 1, "model": "gpt-a",
         "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
        for p in parts
    ]
    body = b"".join(b"data: " + orjson.dumps(line) + b"\n\n" for line in lines) + b"data: [DONE]\n\n"
    return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})


@pytest.fixture
def ctx():
    principal = GatewayPrincipal(1, 1, "d", 60, 60, None, None)
    return RequestContext(principal=principal, body={"model": "gpt-a", "messages": [{"role": "user", "content": "hi"}]})


@pytest.fixture
def sleeps(monkeypatch, settings):
    settings.UPSTREAM_MAX_RETRIES = 2
    recorded = []

    async def fake_sleep(seconds):
        recorded.append(seconds)

    monkeypatch.setattr(calls.asyncio, "sleep", fake_sleep)
    monkeypatch.setattr(calls, "httpx_client", lambda: httpx.AsyncClient())
    return recorded


@respx.mock
async def test_a_500_then_a_success_gives_one_answer(ctx, sleeps):
    route = respx.post(OPENAI_URL).mock(side_effect=[httpx.Response(500, json={"error": {}}), openai_answer()])
    candidate, completion = await calls.complete(ctx, [OPENAI], FailureLog())
    assert candidate is OPENAI
    assert completion.body["choices"][0]["message"]["content"] == "hello"
    assert completion.usage.prompt_tokens == 5
    assert route.call_count == 2
    assert ctx.fallbacks == 0


@respx.mock
async def test_retry_after_from_a_429_is_honoured(ctx, sleeps):
    respx.post(OPENAI_URL).mock(side_effect=[httpx.Response(429, headers={"retry-after": "3"}), openai_answer()])
    await calls.complete(ctx, [OPENAI], FailureLog())
    assert sleeps == [3.0]


@respx.mock
async def test_retry_after_is_capped(ctx, sleeps, settings):
    settings.UPSTREAM_RETRY_AFTER_CAP = 2.0
    respx.post(OPENAI_URL).mock(side_effect=[httpx.Response(429, headers={"retry-after": "600"}), openai_answer()])
    await calls.complete(ctx, [OPENAI], FailureLog())
    assert sleeps == [2.0]


@respx.mock
async def test_a_400_is_neither_retried_nor_sent_elsewhere(ctx, sleeps):
    openai = respx.post(OPENAI_URL).mock(return_value=httpx.Response(400, json={"error": {"type": "invalid_request_error"}}))
    anthropic = respx.post(ANTHROPIC_URL).mock(return_value=anthropic_answer())
    with pytest.raises(InvalidRequestError):
        await calls.complete(ctx, [OPENAI, ANTHROPIC], FailureLog())
    assert openai.call_count == 1
    assert anthropic.call_count == 0


@pytest.mark.parametrize("status", [401, 403, 404])
@respx.mock
async def test_an_auth_or_not_found_error_is_not_retried_but_falls_back(ctx, sleeps, status):
    openai = respx.post(OPENAI_URL).mock(return_value=httpx.Response(status, json={"error": {}}))
    respx.post(ANTHROPIC_URL).mock(return_value=anthropic_answer())
    candidate, _ = await calls.complete(ctx, [OPENAI, ANTHROPIC], FailureLog())
    assert openai.call_count == 1
    assert candidate is ANTHROPIC
    assert ctx.fallbacks == 1


@respx.mock
async def test_timeouts_and_connection_errors_are_retried_then_fall_back(ctx, sleeps):
    openai = respx.post(OPENAI_URL).mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.RemoteProtocolError("reset")]
    )
    respx.post(ANTHROPIC_URL).mock(return_value=anthropic_answer("from the fallback"))
    errors = []
    candidate, completion = await calls.complete(ctx, [OPENAI, ANTHROPIC], FailureLog(on_error=lambda c, e: errors.append(e.code)))
    assert openai.call_count == 3
    assert candidate is ANTHROPIC
    assert completion.body["choices"][0]["message"]["content"] == "from the fallback"
    assert errors == ["upstream_timeout", "upstream_unreachable", "upstream_unreachable"]
    assert len(sleeps) == 2


@respx.mock
async def test_every_candidate_failing_is_a_503(ctx, sleeps):
    respx.post(OPENAI_URL).mock(return_value=httpx.Response(503))
    respx.post(ANTHROPIC_URL).mock(return_value=httpx.Response(529, json={"type": "error", "error": {"type": "overloaded_error"}}))
    with pytest.raises(AllProvidersFailedError) as caught:
        await calls.complete(ctx, [OPENAI, ANTHROPIC], FailureLog())
    assert caught.value.status == 503


@respx.mock
async def test_a_malformed_answer_is_a_502_that_echoes_nothing(ctx, sleeps):
    respx.post(OPENAI_URL).mock(return_value=httpx.Response(200, content=b"<html>secret upstream page</html>"))
    with pytest.raises(UpstreamError) as caught:
        await calls.complete(ctx, [OPENAI], FailureLog())
    assert caught.value.status == 502
    assert "secret" not in str(caught.value.to_body())


@respx.mock
async def test_retries_stop_at_the_request_deadline(ctx, sleeps, settings):
    settings.REQUEST_DEADLINE = 0.0
    openai = respx.post(OPENAI_URL).mock(return_value=httpx.Response(500))
    with pytest.raises(AllProvidersFailedError):
        await calls.complete(ctx, [OPENAI, ANTHROPIC], FailureLog())
    assert openai.call_count == 1


@respx.mock
async def test_a_stream_is_opened_with_its_first_chunk_in_hand(ctx, sleeps):
    respx.post(OPENAI_URL).mock(side_effect=[httpx.Response(502), openai_stream("Hel", "lo")])
    opened = await calls.open_stream(ctx, [OPENAI], FailureLog())
    seen = [c["choices"][0]["delta"].get("content") for c in opened.pending]
    async for chunks in opened.rest:
        seen += [c["choices"][0]["delta"].get("content") for c in chunks]
    assert "".join(s for s in seen if s) == "Hello"
    assert opened.translator.is_complete


@respx.mock
async def test_a_stream_that_ends_without_its_end_marker_falls_back_before_the_first_byte(ctx, sleeps):
    truncated = httpx.Response(200, content=b"", headers={"content-type": "text/event-stream"})
    respx.post(OPENAI_URL).mock(return_value=truncated)
    anthropic_events = (
        b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant",'
        b'"model":"claude-b","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n'
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
        b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"salut"}}\n\n'
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
        b'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n'
        b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
    )
    respx.post(ANTHROPIC_URL).mock(return_value=httpx.Response(200, content=anthropic_events))
    opened = await calls.open_stream(ctx, [OPENAI, ANTHROPIC], FailureLog())
    assert opened.candidate is ANTHROPIC
    assert ctx.fallbacks == 1
