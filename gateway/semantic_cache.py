"""The semantic cache: a differently worded last question may get the stored answer.

Contract for the request path (after an exact-cache miss):

- `get_semantic_cache()` is None unless `SEMANTIC_CACHE_ENABLED`.
- `await cache.lookup(user_id=..., body=...) -> CachedAnswer | None`;
  `await cache.store(user_id=..., body=..., answer=...)` after a stored (storable) answer.

A request is eligible only when the exact cache may hold it, it carries no tools or functions
and no tool messages or tool calls, and its last message is the user's, made of text only.
Its context is a hash of the user id, every answer-changing field (model, parameters, response
format) and every message but the last one's text (system prompt, earlier turns); the last
user turn is embedded. A stored answer is returned only for the same context and a cosine
similarity of at least `SEMANTIC_CACHE_THRESHOLD` (an operator setting; no request field can
lower it). So alice's entries are never compared with bob's, and a change of system prompt,
model or temperature is never a semantic hit.

Vectors live in this process (`LocalVectorStore`, bounded overall and per user) or, with
REDIS_URL, beside the exact cache in Django's cache (`SharedVectorStore`). Each context keeps at
most `PER_CONTEXT` entries, newest first; every entry expires after CACHE_TTL.
"""
from __future__ import annotations

import hashlib
import logging
import operator
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

from django.core.exceptions import ImproperlyConfigured

from gateway.cache import CachedAnswer, answer_fields, canonical_json, is_cacheable
from gateway.conf import settings
from gateway.embedders import Embedder, build_embedder
from gateway.shared_cache import call_on as shared_call

logger = logging.getLogger(__name__)

PER_CONTEXT = 32
RECENT_EMBEDDINGS = 256


def last_user_text(body: dict[str, Any]) -> str | None:
    """The text to embed, or None when the request is not eligible for the semantic cache."""
    if not is_cacheable(body) or body.get("tools") or body.get("functions"):
        return None
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return None
    for message in messages:
        if not isinstance(message, dict) or message.get("role") in ("tool", "function"):
            return None
        if message.get("tool_calls") or message.get("function_call"):
            return None
    last = messages[-1]
    if last.get("role") != "user":
        return None
    content = last.get("content")
    if isinstance(content, list):
        if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
            return None
        content = "\n".join(p["text"] for p in content)
    if not isinstance(content, str) or not content.strip():
        return None
    return content


def context_hash(*, user_id: int, body: dict[str, Any]) -> str:
    messages = body["messages"]
    last_without_text = {k: v for k, v in messages[-1].items() if k != "content"}
    request = {**answer_fields(body), "messages": messages[:-1], "last": last_without_text}
    return hashlib.sha256(canonical_json({"v": 1, "user": int(user_id), "request": request})).hexdigest()


def cosine(a: list[float], b: list[float]) -> float:
    """Both vectors are unit length, so the dot product is the cosine."""
    return sum(map(operator.mul, a, b))


@dataclass(frozen=True)
class Entry:
    vector: list[float]
    answer: CachedAnswer
    expires_at: float


class LocalVectorStore:
    """This worker's vectors: at most `max_entries` overall and `max_per_user` per user."""

    def __init__(self, *, max_entries: int, max_per_user: int, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.max_per_user = max_per_user
        self.ttl = ttl
        self.clock = clock
        self._buckets: OrderedDict[tuple[int, str], list[Entry]] = OrderedDict()
        self._per_user: dict[int, int] = {}
        self._total = 0

    async def candidates(self, user_id: int, context: str) -> list[Entry]:
        bucket = self._buckets.get((user_id, context))
        if bucket is None:
            return []
        now = self.clock()
        live = [entry for entry in bucket if entry.expires_at > now]
        self._replace((user_id, context), live)
        return live

    async def add(self, user_id: int, context: str, vector: list[float], answer: CachedAnswer) -> None:
        key = (user_id, context)
        bucket = [Entry(vector, answer, self.clock() + self.ttl), *self._buckets.get(key, [])][:PER_CONTEXT]
        self._replace(key, bucket)
        while self._total > self.max_entries and self._buckets:
            oldest = next(iter(self._buckets))
            self._replace(oldest, [])
        while self._per_user.get(user_id, 0) > self.max_per_user:
            users_oldest = next(k for k in self._buckets if k[0] == user_id)
            self._replace(users_oldest, self._buckets[users_oldest][:-1])

    def _replace(self, key: tuple[int, str], bucket: list[Entry]) -> None:
        before = len(self._buckets.get(key, ()))
        change = len(bucket) - before
        self._total += change
        self._per_user[key[0]] = self._per_user.get(key[0], 0) + change
        if not self._per_user[key[0]]:
            del self._per_user[key[0]]
        if bucket:
            self._buckets[key] = bucket
            self._buckets.move_to_end(key)
        else:
            self._buckets.pop(key, None)

    def clear(self) -> None:
        self._buckets.clear()
        self._per_user.clear()
        self._total = 0


class SharedVectorStore:
    """Vectors in Django's cache (Redis), shared by every worker and host.

    A context's entries are one cache value (a short list); two workers storing into the same
    context at the same moment may keep only one of the two new entries, which costs a future
    hit, never a wrong answer.
    """

    def __init__(self, *, ttl: int, cache_alias: str = "default"):
        self.ttl = ttl
        self.cache_alias = cache_alias

    @property
    def _cache(self):
        from gateway.shared_cache import shared_cache

        return shared_cache(self.cache_alias)

    @staticmethod
    def _key(user_id: int, context: str) -> str:
        return f"sem:{user_id}:{context}"

    async def candidates(self, user_id: int, context: str) -> list[Entry]:
        raw = await shared_call(self.cache_alias, "get", self._key(user_id, context))
        if not raw:
            return []
        now = time.time()
        entries = []
        for vector_bytes, answer_bytes, expires_at in raw:
            if expires_at > now:
                vector = array("f")
                vector.frombytes(vector_bytes)
                entries.append(Entry(vector.tolist(), CachedAnswer.from_bytes(answer_bytes), expires_at))
        return entries

    async def add(self, user_id: int, context: str, vector: list[float], answer: CachedAnswer) -> None:
        key = self._key(user_id, context)
        now = time.time()
        raw = await shared_call(self.cache_alias, "get", key) or []
        kept = [item for item in raw if item[2] > now]
        bucket = [(array("f", vector).tobytes(), answer.to_bytes(), now + self.ttl), *kept][:PER_CONTEXT]
        await shared_call(self.cache_alias, "set", key, bucket, timeout=self.ttl)

    def clear(self) -> None:
        cache = self._cache
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=cache.make_key("sem:*"), count=500):
            client.delete(key)


class SemanticCache:
    def __init__(self, *, embedder: Embedder, threshold: float, store):
        if not 0 < threshold <= 1:
            raise ImproperlyConfigured("SEMANTIC_CACHE_THRESHOLD must be greater than 0 and at most 1.")
        self.embedder = embedder
        self.threshold = threshold
        self.vectors = store
        self._recent: OrderedDict[str, list[float]] = OrderedDict()

    async def _embed(self, text: str, user_id: int) -> list[float] | None:
        digest = hashlib.sha256(text.encode()).hexdigest()
        vector = self._recent.get(digest)
        if vector is None:
            vector = await self.embedder.embed(text, user_id=user_id)
            if vector is None:
                return None
            self._recent[digest] = vector
            if len(self._recent) > RECENT_EMBEDDINGS:
                self._recent.popitem(last=False)
        return vector

    async def lookup(self, *, user_id: int, body: dict[str, Any]) -> CachedAnswer | None:
        text = last_user_text(body)
        if text is None:
            return None
        try:
            candidates = await self.vectors.candidates(user_id, context_hash(user_id=user_id, body=body))
            if not candidates:
                return None
            vector = await self._embed(text, user_id)
        except Exception:
            logger.warning("semantic cache lookup failed; answering as a miss", exc_info=True)
            return None
        if vector is None:
            return None
        score, best = max(((cosine(vector, entry.vector), entry) for entry in candidates), key=lambda pair: pair[0])
        return best.answer if score >= self.threshold else None

    async def store(self, *, user_id: int, body: dict[str, Any], answer: CachedAnswer) -> None:
        text = last_user_text(body)
        if text is None:
            return
        try:
            vector = await self._embed(text, user_id)
            if vector is not None:
                await self.vectors.add(user_id, context_hash(user_id=user_id, body=body), vector, answer)
        except Exception:
            logger.warning("semantic cache store failed", exc_info=True)

    def clear(self) -> None:
        self.vectors.clear()
        self._recent.clear()


_semantic: SemanticCache | None = None


def get_semantic_cache() -> SemanticCache | None:
    global _semantic
    if not settings.SEMANTIC_CACHE_ENABLED:
        return None
    if _semantic is None:
        if settings.REDIS_URL:
            store = SharedVectorStore(ttl=settings.CACHE_TTL)
        else:
            store = LocalVectorStore(
                max_entries=settings.CACHE_MAX_SIZE,
                max_per_user=getattr(settings, "SEMANTIC_CACHE_MAX_PER_USER", 256),
                ttl=settings.CACHE_TTL,
            )
        _semantic = SemanticCache(
            embedder=build_embedder(settings.SEMANTIC_CACHE_EMBEDDER),
            threshold=settings.SEMANTIC_CACHE_THRESHOLD,
            store=store,
        )
    return _semantic


def reset_semantic_cache() -> None:
    """Forget the process singleton (tests that change settings; never on the request path)."""
    global _semantic
    _semantic = None
