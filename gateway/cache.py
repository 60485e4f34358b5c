"""The exact response cache: the same request from the same user gets the stored answer.

Contract for the request path:

- `cache_key(user_id=..., body=...)` hashes everything that changes the answer. The caller's
  user id is part of the key, so one user's answer never reaches another user. Excluded, because
  they do not change the answer: `stream` and `stream_options` (a streamed and a non-streamed
  request share an entry; `replay_as_chunks` turns a stored answer into SSE chunks), OpenAI's
  `user` (an end-user id for abuse monitoring), `metadata`, `store` and `service_tier`. Every
  other field, known or not, is part of the key: a field we have never seen is assumed to matter.
- `is_cacheable(body)`: whether a request may be answered from / stored in the cache. Sampling
  parameters do not matter: a client that did not send `x-gateway-cache: no-cache` (checked by
  the pipeline) asked for caching. Refused: audio output (vendor-side ids that expire) and web
  search (answers that depend on the day).
- `is_storable(body)`: whether a finished chat.completion may be stored (every choice ended
  normally).
- `get_response_cache()`: the process's cache, `LocalResponseCache` (bounded LRU with TTL) when
  `REDIS_URL` is empty, else `SharedResponseCache` over Django's cache (shared by every worker
  and host). Both: `await get(key) -> CachedAnswer | None`, `await set(key, answer)`, `clear()`.
- `replay_as_completion(answer, ...)` / `replay_as_chunks(answer, ...)`: a stored answer under
  this request's id and time, as a chat.completion or as chat.completion.chunk dicts for SSE.
"""
from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

import orjson

from gateway.conf import settings
from gateway.providers.base import Usage

logger = logging.getLogger(__name__)

KEY_VERSION = 1
EXCLUDED_FIELDS = frozenset({"stream", "stream_options", "user", "metadata", "store", "service_tier"})
STORABLE_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "function_call"})
SHARED_KEY_PREFIX = "resp:"


def _normalise(value: Any) -> Any:
    """JSON-equal values get one spelling: 1 and 1.0 are the same number, key order never matters."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return str(value)


def canonical_json(value: Any) -> bytes:
    return orjson.dumps(_normalise(value), option=orjson.OPT_SORT_KEYS)


def answer_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The part of a request body that changes the answer."""
    return {k: v for k, v in body.items() if k not in EXCLUDED_FIELDS}


def cache_key(*, user_id: int, body: dict[str, Any]) -> str:
    material = {"v": KEY_VERSION, "user": int(user_id), "request": answer_fields(body)}
    return hashlib.sha256(canonical_json(material)).hexdigest()


def is_cacheable(body: dict[str, Any]) -> bool:
    if body.get("audio") is not None or "audio" in (body.get("modalities") or ()):
        return False
    if body.get("web_search_options") is not None:
        return False
    return True


def is_storable(completion_body: dict[str, Any]) -> bool:
    choices = completion_body.get("choices")
    if not isinstance(choices, list) or not choices:
        return False
    return all(isinstance(c, dict) and c.get("finish_reason") in STORABLE_FINISH_REASONS for c in choices)


@dataclass(frozen=True)
class CachedAnswer:
    """A stored answer: the OpenAI chat.completion body and what it cost when it was made."""

    body: dict[str, Any]
    model: str
    provider: str
    usage: Usage
    cost_usd: Decimal | None
    created_at: float

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "body": self.body,
                "model": self.model,
                "provider": self.provider,
                "usage": [
                    self.usage.prompt_tokens,
                    self.usage.completion_tokens,
                    self.usage.cached_tokens,
                    self.usage.reasoning_tokens,
                ],
                "cost_usd": None if self.cost_usd is None else str(self.cost_usd),
                "created_at": self.created_at,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> CachedAnswer:
        raw = orjson.loads(data)
        prompt, completion, cached, reasoning = raw["usage"]
        return cls(
            body=raw["body"],
            model=raw["model"],
            provider=raw["provider"],
            usage=Usage(prompt, completion, cached, reasoning),
            cost_usd=None if raw["cost_usd"] is None else Decimal(raw["cost_usd"]),
            created_at=raw["created_at"],
        )


def replay_as_completion(answer: CachedAnswer, *, response_id: str, created: int) -> dict[str, Any]:
    return {**answer.body, "id": response_id, "created": created}


def replay_as_chunks(
    answer: CachedAnswer, *, response_id: str, created: int, include_usage: bool
) -> list[dict[str, Any]]:
    """The stored chat.completion as the chunks a live stream would have sent: per choice a role
    chunk, the content, one chunk per tool call, the finish chunk; then the usage chunk when the
    client asked for `stream_options.include_usage`."""
    model = answer.body.get("model") or answer.model
    base = {"id": response_id, "object": "chat.completion.chunk", "created": created, "model": model}
    if answer.body.get("system_fingerprint"):
        base["system_fingerprint"] = answer.body["system_fingerprint"]

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None, logprobs: Any = None) -> dict:
        choice = {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": finish_reason}
        return {**base, "choices": [choice]}

    chunks: list[dict[str, Any]] = []
    for position, choice in enumerate(answer.body.get("choices") or []):
        index = choice.get("index", position)
        message = choice.get("message") or {}
        chunks.append(chunk(index, {"role": message.get("role") or "assistant", "content": ""}))
        if message.get("content"):
            chunks.append(chunk(index, {"content": message["content"]}, logprobs=choice.get("logprobs")))
        if message.get("refusal"):
            chunks.append(chunk(index, {"refusal": message["refusal"]}))
        for call_index, call in enumerate(message.get("tool_calls") or []):
            function = call.get("function") or {}
            delta_call = {
                "index": call_index,
                "id": call.get("id"),
                "type": call.get("type", "function"),
                "function": {"name": function.get("name"), "arguments": function.get("arguments", "")},
            }
            chunks.append(chunk(index, {"tool_calls": [delta_call]}))
        chunks.append(chunk(index, {}, finish_reason=choice.get("finish_reason") or "stop"))
    if include_usage:
        chunks.append({**base, "choices": [], "usage": answer.usage.to_openai()})
    return chunks


class ResponseCache:
    async def get(self, key: str) -> CachedAnswer | None:
        raise NotImplementedError

    async def set(self, key: str, answer: CachedAnswer) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


class LocalResponseCache(ResponseCache):
    """One worker's bounded LRU. No await between read and write, so it is asyncio-safe."""

    def __init__(self, *, max_size: int, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.max_size = max_size
        self.ttl = ttl
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, CachedAnswer]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> CachedAnswer | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, answer = entry
        if expires_at <= self.clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return answer

    async def set(self, key: str, answer: CachedAnswer) -> None:
        if self.max_size <= 0 or self.ttl <= 0:
            return
        self._entries[key] = (self.clock() + self.ttl, answer)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


class SharedResponseCache(ResponseCache):
    """Every worker's and host's cache, through Django's cache framework (Redis).

    A Redis failure degrades to a miss (logged), never to a failed request.
    """

    def __init__(self, *, ttl: int, cache_alias: str = "default"):
        self.ttl = ttl
        self.cache_alias = cache_alias

    @property
    def _cache(self):
        from gateway.shared_cache import shared_cache

        return shared_cache(self.cache_alias)

    async def _call(self, method: str, *args, **kwargs):
        from gateway.shared_cache import call_on

        return await call_on(self.cache_alias, method, *args, **kwargs)

    async def get(self, key: str) -> CachedAnswer | None:
        try:
            data = await self._call("get", SHARED_KEY_PREFIX + key)
        except Exception:
            logger.warning("response cache read failed; answering as a miss", exc_info=True)
            return None
        if data is None:
            return None
        try:
            return CachedAnswer.from_bytes(data)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            logger.warning("unreadable response cache entry dropped")
            await self._call("delete", SHARED_KEY_PREFIX + key)
            return None

    async def set(self, key: str, answer: CachedAnswer) -> None:
        if self.ttl <= 0:
            return
        try:
            await self._call("set", SHARED_KEY_PREFIX + key, answer.to_bytes(), timeout=self.ttl)
        except Exception:
            logger.warning("response cache write failed", exc_info=True)

    def clear(self) -> None:
        """Deletes this cache's entries only (never the whole Redis database)."""
        cache = self._cache
        pattern = cache.make_key(SHARED_KEY_PREFIX + "*")
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(match=pattern, count=500):
            client.delete(key)


_cache: ResponseCache | None = None


def get_response_cache() -> ResponseCache:
    global _cache
    if _cache is None:
        if settings.REDIS_URL:
            _cache = SharedResponseCache(ttl=settings.CACHE_TTL)
        else:
            _cache = LocalResponseCache(max_size=settings.CACHE_MAX_SIZE, ttl=settings.CACHE_TTL)
    return _cache


def reset_response_cache() -> None:
    """Forget the process singleton (tests that change settings; never on the request path)."""
    global _cache
    _cache = None
