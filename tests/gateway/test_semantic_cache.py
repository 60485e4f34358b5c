"""The semantic cache's rules, with a deterministic embedder (the real model: test_semantic_cache_minilm.py)."""
import math
import uuid
from decimal import Decimal

import httpx
import pytest
import respx
from django.core.exceptions import ImproperlyConfigured

from gateway.cache import CachedAnswer
from gateway.embedders import Embedder, ProviderEmbedder, build_embedder
from gateway.providers.base import Usage
from gateway.semantic_cache import (
    LocalVectorStore,
    SemanticCache,
    SharedVectorStore,
    context_hash,
    get_semantic_cache,
    last_user_text,
    reset_semantic_cache,
)

ALICE, BOB = 1, 2
RESET = "How do I reset my password?"
RESET_PARAPHRASE = "How can I change my password?"
CAPITAL = "What is the capital of France?"


def angled(degrees: float) -> list[float]:
    """A unit vector `degrees` away from [1, 0, 0]: cosine = cos(degrees)."""
    radians = math.radians(degrees)
    return [math.cos(radians), math.sin(radians), 0.0]


class TableEmbedder(Embedder):
    """Fixed vectors for known texts, so each test sets the similarity it needs."""

    name = "table"
    vectors = {RESET: angled(0), RESET_PARAPHRASE: angled(10), CAPITAL: [0.0, 0.0, 1.0], "Reset it?": angled(30)}

    def __init__(self):
        self.calls = 0

    async def embed(self, text, *, user_id):
        self.calls += 1
        return self.vectors.get(text)


def body(question=RESET, *, system="You are a support bot.", **extra):
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
        **extra,
    }


def answer(content="Click 'Forgot password'.") -> CachedAnswer:
    return CachedAnswer(
        body={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        },
        model="gpt-4o-mini",
        provider="openai",
        usage=Usage(10, 5),
        cost_usd=Decimal("0.000004"),
        created_at=1.0,
    )


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def semantic(clock):
    store = LocalVectorStore(max_entries=100, max_per_user=50, ttl=60, clock=clock)
    return SemanticCache(embedder=TableEmbedder(), threshold=0.92, store=store)


async def test_a_paraphrase_of_a_stored_question_hits(semantic):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    assert await semantic.lookup(user_id=ALICE, body=body(RESET_PARAPHRASE)) == answer()


async def test_a_different_question_misses(semantic):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    assert await semantic.lookup(user_id=ALICE, body=body(CAPITAL)) is None


async def test_a_match_below_the_threshold_misses(semantic):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    assert await semantic.lookup(user_id=ALICE, body=body("Reset it?")) is None  # cosine 0.87


async def test_no_request_field_lowers_the_threshold(semantic):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    lowered = body("Reset it?", similarity_threshold=0.1, semantic_cache_threshold=0.1, threshold=0.1)
    assert await semantic.lookup(user_id=ALICE, body=lowered) is None


async def test_alices_entries_never_answer_bob(semantic):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    assert await semantic.lookup(user_id=BOB, body=body(RESET)) is None


@pytest.mark.parametrize(
    "change",
    [
        {"system": "You are a pirate."},
        {"model": "gpt-4o"},
        {"temperature": 1.5},
        {"response_format": {"type": "json_object"}},
    ],
)
async def test_another_context_never_hits(semantic, change):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    system = change.pop("system", "You are a support bot.")
    assert await semantic.lookup(user_id=ALICE, body=body(RESET, system=system, **change)) is None


async def test_earlier_turns_are_part_of_the_context(semantic):
    earlier = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    first = body(RESET)
    first["messages"][1:1] = earlier
    await semantic.store(user_id=ALICE, body=first, answer=answer())

    assert await semantic.lookup(user_id=ALICE, body=body(RESET_PARAPHRASE)) is None
    second = body(RESET_PARAPHRASE)
    second["messages"][1:1] = earlier
    assert await semantic.lookup(user_id=ALICE, body=second) == answer()


TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


@pytest.mark.parametrize(
    "request_body",
    [
        body(RESET, tools=TOOLS),
        body(RESET, functions=[{"name": "f"}]),
        {
            "model": "m",
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
                {"role": "tool", "tool_call_id": "c", "content": "sunny"},
                {"role": "user", "content": RESET},
            ],
        },
        {"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
        {"model": "m", "messages": [{"role": "assistant", "content": RESET}]},
        {"model": "m", "messages": [{"role": "user", "content": "   "}]},
        body(RESET, web_search_options={}),
    ],
)
def test_requests_with_tools_images_or_no_user_text_are_not_eligible(request_body):
    assert last_user_text(request_body) is None


def test_text_parts_of_the_last_user_turn_are_joined():
    parts = [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]
    request_body = {"model": "m", "messages": [{"role": "user", "content": parts}]}
    assert last_user_text(request_body) == "a\nb"


async def test_a_request_with_tools_is_neither_stored_nor_looked_up(semantic):
    await semantic.store(user_id=ALICE, body=body(RESET, tools=TOOLS), answer=answer())
    assert semantic.embedder.calls == 0
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    assert await semantic.lookup(user_id=ALICE, body=body(RESET, tools=TOOLS)) is None


async def test_nothing_is_embedded_when_the_context_has_no_entries(semantic):
    assert await semantic.lookup(user_id=ALICE, body=body(RESET)) is None
    assert semantic.embedder.calls == 0


async def test_the_stored_question_is_embedded_once(semantic):
    await semantic.store(user_id=ALICE, body=body(CAPITAL), answer=answer())
    await semantic.lookup(user_id=ALICE, body=body(RESET, system="other"))
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    await semantic.lookup(user_id=ALICE, body=body(RESET))
    assert semantic.embedder.calls == 2


async def test_entries_expire_after_the_ttl(semantic, clock):
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer())
    clock.now += 60
    assert await semantic.lookup(user_id=ALICE, body=body(RESET_PARAPHRASE)) is None


async def test_the_best_match_wins(semantic):
    await semantic.store(user_id=ALICE, body=body("Reset it?"), answer=answer("far"))
    await semantic.store(user_id=ALICE, body=body(RESET), answer=answer("near"))
    assert (await semantic.lookup(user_id=ALICE, body=body(RESET_PARAPHRASE))).body["choices"][0]["message"][
        "content"
    ] == "near"


async def test_the_local_store_is_bounded_overall_and_per_user(clock):
    store = LocalVectorStore(max_entries=5, max_per_user=3, ttl=60, clock=clock)
    for i in range(4):
        await store.add(ALICE, f"ctx-{i}", angled(0), answer())
    assert [len(await store.candidates(ALICE, f"ctx-{i}")) for i in range(4)] == [0, 1, 1, 1]
    for i in range(3):
        await store.add(BOB, f"ctx-{i}", angled(0), answer())
    assert store._total <= 5
    assert all(count <= 3 for count in store._per_user.values())


def test_the_context_hash_ignores_only_the_last_user_text():
    assert context_hash(user_id=ALICE, body=body(RESET)) == context_hash(user_id=ALICE, body=body(CAPITAL))
    assert context_hash(user_id=ALICE, body=body(RESET)) != context_hash(user_id=BOB, body=body(RESET))
    assert context_hash(user_id=ALICE, body=body(RESET)) != context_hash(user_id=ALICE, body=body(RESET, top_p=0.5))


def test_a_threshold_outside_0_to_1_is_refused():
    with pytest.raises(ImproperlyConfigured):
        SemanticCache(embedder=TableEmbedder(), threshold=0, store=None)
    with pytest.raises(ImproperlyConfigured):
        SemanticCache(embedder=TableEmbedder(), threshold=1.2, store=None)


def test_the_semantic_cache_is_off_unless_enabled(settings):
    settings.SEMANTIC_CACHE_ENABLED = False
    reset_semantic_cache()
    assert get_semantic_cache() is None


def test_an_unknown_embedder_name_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="SEMANTIC_CACHE_EMBEDDER"):
        build_embedder("word2vec")


def test_the_enabled_cache_uses_the_configured_embedder_and_threshold(settings):
    settings.SEMANTIC_CACHE_ENABLED = True
    settings.SEMANTIC_CACHE_EMBEDDER = "provider"
    settings.SEMANTIC_CACHE_THRESHOLD = 0.95
    settings.REDIS_URL = ""
    reset_semantic_cache()
    try:
        cache = get_semantic_cache()
        assert isinstance(cache.embedder, ProviderEmbedder)
        assert cache.threshold == 0.95
        assert isinstance(cache.vectors, LocalVectorStore)
    finally:
        reset_semantic_cache()


async def openai_credentials(user_id):
    return ("sk-user-key", "https://api.openai.test/v1") if user_id == ALICE else None


@respx.mock
async def test_the_provider_embedder_calls_embeddings_with_the_users_key():
    route = respx.post("https://api.openai.test/v1/embeddings").mock(
        return_value=httpx.Response(200, json={"data": [{"embedding": [3.0, 4.0]}]})
    )
    async with httpx.AsyncClient() as client:
        embedder = ProviderEmbedder(model="text-embedding-3-small", credentials=openai_credentials, http_client=client)
        vector = await embedder.embed("hello", user_id=ALICE)

    assert vector == [0.6, 0.8]
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer sk-user-key"
    assert request.read() == b'{"model":"text-embedding-3-small","input":"hello"}'


@respx.mock
async def test_a_failed_provider_embedding_is_a_miss_not_an_error():
    respx.post("https://api.openai.test/v1/embeddings").mock(return_value=httpx.Response(500, json={}))
    async with httpx.AsyncClient() as client:
        embedder = ProviderEmbedder(credentials=openai_credentials, http_client=client)
        assert await embedder.embed("hello", user_id=ALICE) is None


async def test_a_user_without_an_openai_key_gets_no_provider_embedding():
    embedder = ProviderEmbedder(credentials=openai_credentials, http_client=httpx.AsyncClient())
    assert await embedder.embed("hello", user_id=BOB) is None


@pytest.fixture
def shared_semantic(settings):
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "h4-semantic": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL or "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"gwtest-{uuid.uuid4().hex[:12]}",
        },
    }
    store = SharedVectorStore(ttl=60, cache_alias="h4-semantic")
    yield SemanticCache(embedder=TableEmbedder(), threshold=0.92, store=store)
    store.clear()
    caches["h4-semantic"].close()


async def test_the_shared_store_hits_paraphrases_through_redis(shared_semantic):
    await shared_semantic.store(user_id=ALICE, body=body(RESET), answer=answer())

    assert await shared_semantic.lookup(user_id=ALICE, body=body(RESET_PARAPHRASE)) == answer()
    assert await shared_semantic.lookup(user_id=ALICE, body=body(CAPITAL)) is None
    assert await shared_semantic.lookup(user_id=BOB, body=body(RESET)) is None
