"""The semantic cache through /v1 with the real local embedder (all-MiniLM-L6-v2)."""
import pytest

from gateway.semantic_cache import reset_semantic_cache
from tests.e2e.conftest import MODELS, wait_for_records


@pytest.fixture
def semantic_on(settings):
    settings.SEMANTIC_CACHE_ENABLED = True
    settings.SEMANTIC_CACHE_EMBEDDER = "local"
    reset_semantic_cache()
    yield
    reset_semantic_cache()


def wait_until_stored(user_id, question, timeout=60.0):
    """A request's answer enters the semantic cache when the request settles, after the model
    embedded it (the first embedding also loads the model)."""
    import asyncio
    import time

    from gateway.semantic_cache import context_hash, get_semantic_cache

    body = {"model": MODELS["openai"], "messages": [{"role": "user", "content": question}]}
    store = get_semantic_cache().vectors
    deadline = time.monotonic() + timeout
    while not asyncio.run(store.candidates(user_id, context_hash(user_id=user_id, body=body))):
        assert time.monotonic() < deadline, "the answer never reached the semantic cache"
        time.sleep(0.05)


def ask(sdk, question):
    return sdk.chat.completions.with_raw_response.create(
        model=MODELS["openai"], messages=[{"role": "user", "content": question}]
    )


def test_a_paraphrase_is_a_semantic_hit_and_a_different_question_is_not(sdk, world, semantic_on):
    first = ask(sdk, "What is the capital city of France?")
    assert first.headers["x-gateway-cache"] == "miss"
    wait_until_stored(world.user.id, "What is the capital city of France?")
    paraphrase = ask(sdk, "What's the capital of France?")
    assert paraphrase.headers["x-gateway-cache"] == "semantic-hit"
    assert paraphrase.parse().choices[0].message.content == first.parse().choices[0].message.content
    different = ask(sdk, "How many people live in Germany?")
    assert different.headers["x-gateway-cache"] == "miss"
    assert len(world.fake.requests) == 2
    records = wait_for_records(3)
    assert [r.cache for r in records] == ["miss", "semantic-hit", "miss"]
    assert records[1].cost_usd == 0 and records[1].saved_by_cache_usd == records[0].cost_usd
