"""The exact response cache: keys, tenancy, LRU and TTL, serialisation, replay as a stream."""
import copy
from decimal import Decimal

import httpx
import openai
import orjson
import pytest
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from gateway.cache import (
    CachedAnswer,
    LocalResponseCache,
    SharedResponseCache,
    cache_key,
    get_response_cache,
    is_cacheable,
    is_storable,
    replay_as_chunks,
    replay_as_completion,
    reset_response_cache,
)
from gateway.providers.base import Usage

ALICE, BOB = 1, 2
BODY = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the capital of France?"},
    ],
    "temperature": 0.2,
    "max_tokens": 50,
}


def completion_body(content="Paris.", *, tool_calls=None, finish_reason="stop", choices=1):
    message = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": "chatcmpl-original",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": i, "message": dict(message), "logprobs": None, "finish_reason": finish_reason}
            for i in range(choices)
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
    }


def answer(content="Paris.", **kwargs) -> CachedAnswer:
    return CachedAnswer(
        body=completion_body(content, **kwargs),
        model="gpt-4o-mini",
        provider="openai",
        usage=Usage(prompt_tokens=12, completion_tokens=3),
        cost_usd=Decimal("0.00000360"),
        created_at=1700000000.5,
    )


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_same_request_in_another_key_order_has_the_same_key():
    reordered = {
        "max_tokens": 50,
        "temperature": 0.2,
        "messages": [
            {"content": "Be brief.", "role": "system"},
            {"content": "What is the capital of France?", "role": "user"},
        ],
        "model": "gpt-4o-mini",
    }
    assert cache_key(user_id=ALICE, body=reordered) == cache_key(user_id=ALICE, body=BODY)


def test_a_whole_float_and_its_integer_are_the_same_key():
    assert cache_key(user_id=ALICE, body={**BODY, "temperature": 1}) == cache_key(
        user_id=ALICE, body={**BODY, "temperature": 1.0}
    )


def test_stream_and_end_user_fields_share_the_entry():
    streamed = {**BODY, "stream": True, "stream_options": {"include_usage": True}, "user": "end-user-7"}
    assert cache_key(user_id=ALICE, body=streamed) == cache_key(user_id=ALICE, body=BODY)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gpt-4o"},
        {"messages": [{"role": "user", "content": "What is the capital of Spain?"}]},
        {"messages": [{"role": "system", "content": "Be verbose."}, BODY["messages"][1]]},
        {"temperature": 0.3},
        {"top_p": 0.9},
        {"max_tokens": 51},
        {"max_completion_tokens": 50},
        {"stop": ["\n"]},
        {"n": 2},
        {"seed": 7},
        {"presence_penalty": 0.5},
        {"frequency_penalty": 0.5},
        {"logit_bias": {"1234": -100}},
        {"response_format": {"type": "json_object"}},
        {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]},
        {"tool_choice": "none"},
        {"parallel_tool_calls": False},
        {"logprobs": True},
        {"reasoning_effort": "high"},
        {"some_future_parameter": 1},
    ],
)
def test_any_parameter_change_is_another_key(change):
    assert cache_key(user_id=ALICE, body={**BODY, **change}) != cache_key(user_id=ALICE, body=BODY)


def test_the_same_request_from_another_user_is_another_key():
    assert cache_key(user_id=ALICE, body=BODY) != cache_key(user_id=BOB, body=BODY)


async def test_alices_cached_answer_never_reaches_bob():
    cache = LocalResponseCache(max_size=10, ttl=60)
    await cache.set(cache_key(user_id=ALICE, body=BODY), answer("Alice's answer"))

    assert await cache.get(cache_key(user_id=BOB, body=BODY)) is None
    assert (await cache.get(cache_key(user_id=ALICE, body=BODY))).body["choices"][0]["message"]["content"] == (
        "Alice's answer"
    )


def test_audio_output_and_web_search_are_not_cacheable():
    assert is_cacheable(BODY)
    assert is_cacheable({**BODY, "temperature": 1.5, "n": 3})
    assert not is_cacheable({**BODY, "modalities": ["text", "audio"], "audio": {"voice": "alloy"}})
    assert not is_cacheable({**BODY, "web_search_options": {}})


def test_only_answers_that_ended_normally_are_storable():
    assert is_storable(completion_body())
    assert is_storable(completion_body(finish_reason="length"))
    assert not is_storable(completion_body(finish_reason="content_filter"))
    assert not is_storable({**completion_body(), "choices": []})


async def test_an_entry_expires_after_the_ttl():
    clock = Clock()
    cache = LocalResponseCache(max_size=10, ttl=60, clock=clock)
    await cache.set("k", answer())

    clock.now += 59.9
    assert await cache.get("k") is not None
    clock.now += 0.1
    assert await cache.get("k") is None
    assert len(cache) == 0


async def test_the_least_recently_used_entry_is_evicted_first():
    cache = LocalResponseCache(max_size=2, ttl=60)
    await cache.set("a", answer("A"))
    await cache.set("b", answer("B"))
    assert await cache.get("a") is not None  # "a" is now the most recently used

    await cache.set("c", answer("C"))

    assert await cache.get("b") is None
    assert await cache.get("a") is not None
    assert await cache.get("c") is not None
    assert len(cache) == 2


async def test_clear_empties_the_local_cache():
    cache = LocalResponseCache(max_size=2, ttl=60)
    await cache.set("a", answer())
    cache.clear()
    assert await cache.get("a") is None


def test_a_cached_answer_survives_bytes():
    original = answer("Ünïcode ✓")
    restored = CachedAnswer.from_bytes(original.to_bytes())
    assert restored == original
    assert isinstance(restored.cost_usd, Decimal)


def test_an_unpriced_answer_survives_bytes():
    original = CachedAnswer(completion_body(), "m", "google", Usage(1, 2, 0, 1), None, 1.0)
    assert CachedAnswer.from_bytes(original.to_bytes()) == original


def test_a_replayed_completion_carries_this_requests_id_and_time():
    body = replay_as_completion(answer(), response_id="chatcmpl-new", created=1800000000)
    assert body["id"] == "chatcmpl-new"
    assert body["created"] == 1800000000
    assert body["choices"] == completion_body()["choices"]


def sse(chunks) -> bytes:
    return b"".join(b"data: " + orjson.dumps(chunk) + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"


async def replay_through_sdk(cached: CachedAnswer, *, include_usage: bool):
    """Serve the replay as SSE to the official SDK and let it accumulate the stream."""
    chunks = replay_as_chunks(cached, response_id="chatcmpl-replay", created=1800000000, include_usage=include_usage)
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse(chunks))
    )
    client = openai.AsyncOpenAI(
        api_key="gw-test", base_url="http://gateway.test/v1", http_client=httpx.AsyncClient(transport=transport)
    )
    state = ChatCompletionStreamState()
    received = []
    stream = await client.chat.completions.create(model="gpt-4o-mini", messages=BODY["messages"], stream=True)
    async for chunk in stream:
        assert isinstance(chunk, ChatCompletionChunk)
        received.append(chunk)
        state.handle_chunk(chunk)
    await client.close()
    return received, state.get_final_completion()


async def test_a_cached_answer_replays_as_a_stream_the_sdk_accumulates():
    received, final = await replay_through_sdk(answer("Paris is the capital of France."), include_usage=True)

    assert {chunk.id for chunk in received} == {"chatcmpl-replay"}
    assert final.choices[0].message.content == "Paris is the capital of France."
    assert final.choices[0].message.role == "assistant"
    assert final.choices[0].finish_reason == "stop"
    assert received[-1].choices == []
    assert received[-1].usage.total_tokens == 15


async def test_a_replay_without_include_usage_sends_no_usage_chunk():
    received, final = await replay_through_sdk(answer(), include_usage=False)
    assert all(chunk.usage is None for chunk in received)
    assert final.choices[0].message.content == "Paris."


async def test_cached_tool_calls_replay_through_the_sdk():
    calls = [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}},
        {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": '{"tz": "CET"}'}},
    ]
    _, final = await replay_through_sdk(answer(None, tool_calls=calls, finish_reason="tool_calls"), include_usage=False)

    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert [(c.id, c.function.name, c.function.arguments) for c in message.tool_calls] == [
        ("call_1", "get_weather", '{"city": "Paris"}'),
        ("call_2", "get_time", '{"tz": "CET"}'),
    ]


async def test_every_choice_of_a_cached_answer_replays():
    _, final = await replay_through_sdk(answer("Same.", choices=3), include_usage=False)
    assert [choice.index for choice in final.choices] == [0, 1, 2]
    assert [choice.message.content for choice in final.choices] == ["Same."] * 3


def test_the_local_cache_is_chosen_without_redis(settings):
    settings.REDIS_URL = ""
    reset_response_cache()
    try:
        assert isinstance(get_response_cache(), LocalResponseCache)
        assert get_response_cache() is get_response_cache()
    finally:
        reset_response_cache()


@pytest.fixture
def shared_cache(settings, redis_url):
    """Django's cache pointed at the test Redis under a prefix of its own."""
    import uuid

    from django.core.cache import caches

    prefix = f"gwtest-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        **settings.CACHES,
        "h4-shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        },
    }
    cache = SharedResponseCache(ttl=60, cache_alias="h4-shared")
    yield cache
    cache.clear()
    caches["h4-shared"].close()


async def test_the_shared_cache_round_trips_through_redis(shared_cache):
    key = cache_key(user_id=ALICE, body=BODY)
    await shared_cache.set(key, answer("From Redis"))

    restored = await shared_cache.get(key)

    assert restored == answer("From Redis")
    assert await shared_cache.get(cache_key(user_id=BOB, body=BODY)) is None


async def test_clearing_the_shared_cache_deletes_only_its_entries(shared_cache):
    from django.core.cache import caches

    other = caches["h4-shared"]
    await other.aset("not-a-response", b"keep me", timeout=60)
    await shared_cache.set("k", answer())

    shared_cache.clear()

    assert await shared_cache.get("k") is None
    assert await other.aget("not-a-response") == b"keep me"
    await other.adelete("not-a-response")


async def test_an_unreadable_shared_entry_is_a_miss(shared_cache):
    from django.core.cache import caches

    await caches["h4-shared"].aset("resp:broken", b"not json", timeout=60)
    assert await shared_cache.get("broken") is None


def test_the_body_given_to_cache_key_is_not_changed():
    body = copy.deepcopy(BODY)
    cache_key(user_id=ALICE, body=body)
    assert body == BODY
