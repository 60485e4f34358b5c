"""How often the semantic cache answers a rephrased question, and how often a different one.

    .venv/bin/python bench/semantic_cache_eval.py [--threshold 0.9]

Data: bench/data/disflqa_test_head.tsv (Disfl-QA / SQuAD 2.0 questions; see bench/data/README.md).
Needs the semantic extra (requirements-semantic.txt): the real all-MiniLM-L6-v2 embedder.

Both rates go through the product code: for each pair, the first question's answer is stored in
a `SemanticCache` (local vector store, MiniLM embedder) under a context of its own, and the
second question is looked up in that context.
- hit rate: paraphrase pairs (a question and its disfluent rewording) that hit;
- false-hit rate: non-paraphrase pairs (two different questions about the same paragraph) that hit.
A sweep over thresholds (from the pairs' cosine similarities) shows the trade-off, and
"busy context" repeats the lookups with every question of the sample stored in one context
(the best match must then also be the right question).
"""
from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.test_settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from gateway.cache import CachedAnswer  # noqa: E402
from gateway.embedders import LocalMiniLMEmbedder  # noqa: E402
from gateway.providers.base import Usage  # noqa: E402
from gateway.semantic_cache import PER_CONTEXT, LocalVectorStore, SemanticCache, cosine  # noqa: E402

DATA = ROOT / "bench" / "data" / "disflqa_test_head.tsv"
SWEEP = (0.80, 0.82, 0.84, 0.86, 0.88, 0.90, 0.92, 0.94, 0.96)


def load_rows() -> list[tuple[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [(row["original"].strip(), row["disfluent"].strip()) for row in reader]


def pairs(rows):
    positives = [(original, disfluent) for original, disfluent in rows]
    negatives = [(rows[i][0], rows[i + 1][0]) for i in range(len(rows) - 1) if rows[i][0] != rows[i + 1][0]]
    return positives, negatives


def body(question: str, context: str) -> dict:
    messages = [{"role": "system", "content": context}, {"role": "user", "content": question}]
    return {"model": "auto", "messages": messages}


def answer_for(question: str) -> CachedAnswer:
    message = {"role": "assistant", "content": f"answer to: {question}"}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    completion = {"object": "chat.completion", "model": "m", "choices": [choice]}
    return CachedAnswer(completion, "m", "openai", Usage(1, 1), Decimal(0), 0.0)


def new_cache(embedder, threshold: float, size: int) -> SemanticCache:
    store = LocalVectorStore(max_entries=size, max_per_user=size, ttl=3600)
    return SemanticCache(embedder=embedder, threshold=threshold, store=store)


async def pairwise_hits(embedder, threshold: float, pair_list) -> int:
    cache = new_cache(embedder, threshold, 2 * len(pair_list))
    hits = 0
    for number, (stored, asked) in enumerate(pair_list):
        context = f"pair {number}"
        await cache.store(user_id=1, body=body(stored, context), answer=answer_for(stored))
        hits += await cache.lookup(user_id=1, body=body(asked, context)) is not None
    return hits


async def busy_context(embedder, threshold: float, rows) -> tuple[int, int]:
    """Every original stored in one context (in chunks of the store's per-context cap)."""
    right = wrong = 0
    for start in range(0, len(rows), PER_CONTEXT):
        chunk = rows[start : start + PER_CONTEXT]
        cache = new_cache(embedder, threshold, 4 * len(rows))
        for original, _ in chunk:
            await cache.store(user_id=1, body=body(original, "busy"), answer=answer_for(original))
        for original, disfluent in chunk:
            found = await cache.lookup(user_id=1, body=body(disfluent, "busy"))
            if found is not None:
                is_right = found.body["choices"][0]["message"]["content"] == f"answer to: {original}"
                right += is_right
                wrong += not is_right
    return right, wrong


def rate(count: int, total: int) -> str:
    return f"{count}/{total} = {100 * count / total:.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=settings.SEMANTIC_CACHE_THRESHOLD)
    args = parser.parse_args()

    rows = load_rows()
    positives, negatives = pairs(rows)
    embedder = LocalMiniLMEmbedder()
    texts = sorted({text for pair in positives + negatives for text in pair})
    vectors = dict(zip(texts, embedder.encode_many(texts)))
    too_long = [text for text, vector in vectors.items() if vector is None]

    print(f"data: {DATA.relative_to(ROOT)}: {len(positives)} paraphrase pairs, {len(negatives)} non-paraphrase pairs")
    print(f"embedder: all-MiniLM-L6-v2 (local); texts over its 256-token window: {len(too_long)}\n")
    positive_scores = [cosine(vectors[a], vectors[b]) for a, b in positives]
    negative_scores = [cosine(vectors[a], vectors[b]) for a, b in negatives]
    print("threshold  hit rate (paraphrases)  false-hit rate (different questions)")
    for threshold in SWEEP:
        hit = sum(score >= threshold for score in positive_scores)
        false = sum(score >= threshold for score in negative_scores)
        print(f"  {threshold:.2f}     {rate(hit, len(positives)):>22}  {rate(false, len(negatives)):>22}")

    hits = asyncio.run(pairwise_hits(embedder, args.threshold, positives))
    false_hits = asyncio.run(pairwise_hits(embedder, args.threshold, negatives))
    right, wrong = asyncio.run(busy_context(embedder, args.threshold, rows))
    print(f"\nat the threshold {args.threshold:.2f}, through SemanticCache.store/lookup:")
    print(f"  hit rate on paraphrase pairs:           {rate(hits, len(positives))}")
    print(f"  false-hit rate on non-paraphrase pairs: {rate(false_hits, len(negatives))}")
    print(f"  busy context (up to {PER_CONTEXT} stored questions): right hits {rate(right, len(rows))}, "
          f"wrong hits {rate(wrong, len(rows))}")


if __name__ == "__main__":
    main()
