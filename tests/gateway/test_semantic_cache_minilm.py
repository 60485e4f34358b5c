"""The semantic cache with the real all-MiniLM-L6-v2 model (needs requirements-semantic.txt)."""
import asyncio
from decimal import Decimal

import pytest

from gateway.cache import CachedAnswer
from gateway.embedders import LocalMiniLMEmbedder
from gateway.providers.base import Usage
from gateway.semantic_cache import LocalVectorStore, SemanticCache, cosine

ALICE = 1


@pytest.fixture(scope="module")
def minilm():
    return LocalMiniLMEmbedder()


@pytest.fixture
def semantic(minilm):
    store = LocalVectorStore(max_entries=100, max_per_user=100, ttl=60)
    return SemanticCache(embedder=minilm, threshold=0.92, store=store)


def body(question):
    return {"model": "auto", "messages": [{"role": "user", "content": question}]}


def answer(content):
    completion = {
        "object": "chat.completion",
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }
    return CachedAnswer(completion, "m", "openai", Usage(5, 5), Decimal("0.00001"), 0.0)


async def test_the_model_gives_unit_vectors_of_384_dimensions(minilm):
    vector = await minilm.embed("How do I reset my password?", user_id=ALICE)
    assert len(vector) == 384
    assert cosine(vector, vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize(
    "stored, asked",
    [
        ("How do I reset my password?", "How can I reset my password?"),
        ("How do I reset my password?", "What are the steps to reset my password?"),
        ("What is the capital of France?", "Which city is the capital of France?"),
    ],
)
async def test_a_paraphrase_hits(semantic, stored, asked):
    await semantic.store(user_id=ALICE, body=body(stored), answer=answer(f"about: {stored}"))
    found = await semantic.lookup(user_id=ALICE, body=body(asked))
    assert found == answer(f"about: {stored}")


@pytest.mark.parametrize(
    "stored, asked",
    [
        ("What is the capital of France?", "What is the capital of Spain?"),
        ("How do I reset my password?", "How do I delete my account?"),
        ("How do I reset my password?", "What is the capital of France?"),
    ],
)
async def test_a_different_question_misses(semantic, stored, asked):
    await semantic.store(user_id=ALICE, body=body(stored), answer=answer("stored"))
    assert await semantic.lookup(user_id=ALICE, body=body(asked)) is None


async def test_a_text_longer_than_the_models_window_is_not_embedded(minilm):
    long_text = "Tell me about the history of Normandy. " * 60
    assert await minilm.embed(long_text, user_id=ALICE) is None


async def test_two_questions_that_differ_after_the_window_never_share_an_answer(semantic):
    prefix = "Summarise the following notes. " + "The meeting covered budgets and hiring plans. " * 40
    await semantic.store(user_id=ALICE, body=body(prefix + "Answer in French."), answer=answer("fr"))
    assert await semantic.lookup(user_id=ALICE, body=body(prefix + "Answer in German.")) is None


async def test_embedding_runs_off_the_event_loop(minilm):
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    await minilm.embed("Does the event loop keep running while the model works?", user_id=ALICE)
    task.cancel()
    assert ticks > 0
