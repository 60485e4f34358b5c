"""Calling vendors: retries with backoff, then the next model of the fallback list.

`complete` answers a non-stream request; `open_stream` opens a stream and returns it only once
its first chunk is in hand, so that everything that fails before the client saw a byte can
still be retried or fall back. After that, a failure is the stream's own (see streaming.py).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable

import httpx

from gateway.conf import settings
from gateway.context import RequestContext
from gateway.errors import AllProvidersFailedError, GatewayError, InvalidRequestError, UpstreamError
from gateway.providers import get_adapter
from gateway.providers.base import Completion, ProviderError, StreamTranslator, UpstreamRequest
from gateway.registry import ModelInfo
from gateway.retry import backoff_delay
from gateway.sse import SSEParser

logger = logging.getLogger(__name__)

MAX_ERROR_BODY = 64 * 1024
# Statuses that are the request's fault: another model would refuse it the same way.
CLIENT_FAULT_STATUSES = frozenset({400, 413, 422})


@dataclass
class Candidate:
    model: ModelInfo
    api_key: str
    base_url: str


@dataclass
class OpenStream:
    """A stream whose first chunks arrived: `pending` go out first, then `rest` yields more."""

    candidate: Candidate
    translator: StreamTranslator
    pending: list[dict]
    rest: AsyncIterator[list[dict]]
    close: Callable[[], object]


@dataclass
class FailureLog:
    errors: list[ProviderError] = field(default_factory=list)
    on_error: Callable[[Candidate, ProviderError], None] | None = None

    def add(self, candidate: Candidate, error: ProviderError) -> None:
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(candidate, error)


def _transport_error(exc: Exception) -> ProviderError:
    if isinstance(exc, (httpx.TimeoutException, asyncio.TimeoutError, TimeoutError)):
        return ProviderError("The provider did not answer in time.", status=0, code="upstream_timeout", is_retryable=True)
    return ProviderError("Could not reach the provider.", status=0, code="upstream_unreachable", is_retryable=True)


def _client_fault(error: ProviderError) -> GatewayError:
    return InvalidRequestError(
        f"The provider refused the request as invalid ({error.code}).", code=error.code or "provider_rejected_request"
    )


def _all_failed(log: FailureLog) -> GatewayError:
    """503 when every candidate failed; 502 when the last one answered something unreadable."""
    last = log.errors[-1] if log.errors else None
    if last is not None and last.code == "bad_upstream_response":
        return UpstreamError("The provider returned a malformed response.")
    detail = f" The last provider answered status {last.status}." if last and last.status else ""
    return AllProvidersFailedError(f"Every candidate model failed.{detail}")


def _build(ctx: RequestContext, candidate: Candidate, *, stream: bool) -> UpstreamRequest:
    adapter = get_adapter(candidate.model.provider)
    return adapter.build_request(
        ctx.body, model=candidate.model.model_id, api_key=candidate.api_key, base_url=candidate.base_url, stream=stream
    )


async def _attempts(ctx: RequestContext, candidates: list[Candidate], log: FailureLog, attempt_once):
    """Run `attempt_once(candidate)` with retries per candidate and fallbacks across them."""
    deadline = ctx.started + settings.REQUEST_DEADLINE
    for index, candidate in enumerate(candidates):
        ctx.fallbacks = index
        for attempt in range(settings.UPSTREAM_MAX_RETRIES + 1):
            try:
                return candidate, await attempt_once(candidate)
            except ProviderError as error:
                log.add(candidate, error)
                if error.status in CLIENT_FAULT_STATUSES:
                    raise _client_fault(error) from None
                if not error.is_retryable or attempt == settings.UPSTREAM_MAX_RETRIES:
                    break
                delay = backoff_delay(
                    attempt + 1,
                    base=settings.UPSTREAM_BACKOFF_BASE,
                    cap=settings.UPSTREAM_BACKOFF_CAP,
                    retry_after=error.retry_after,
                    retry_after_cap=settings.UPSTREAM_RETRY_AFTER_CAP,
                )
                if time.perf_counter() + delay >= deadline:
                    break
                await asyncio.sleep(delay)
                ctx.upstream_seconds += delay  # waiting on the provider's behalf, not gateway work
        ctx.fallbacks = index + 1  # every model tried so far has failed
        if time.perf_counter() >= deadline:
            break
    raise _all_failed(log)


async def _send(upstream: UpstreamRequest) -> httpx.Response:
    client = httpx_client()
    request = client.build_request("POST", upstream.url, content=upstream.body, headers=upstream.headers)
    return await client.send(request, stream=True)


def httpx_client() -> httpx.AsyncClient:
    from gateway.upstream import get_client

    return get_client()


async def _read_error(candidate: Candidate, response: httpx.Response) -> ProviderError:
    payload = b""
    try:
        async for chunk in response.aiter_raw():
            payload += chunk
            if len(payload) > MAX_ERROR_BODY:
                break
    except httpx.HTTPError:
        pass
    finally:
        await response.aclose()
    return get_adapter(candidate.model.provider).parse_error(response.status_code, response.headers, payload)


async def complete(ctx: RequestContext, candidates: list[Candidate], log: FailureLog) -> tuple[Candidate, Completion]:
    async def attempt_once(candidate: Candidate) -> Completion:
        upstream = _build(ctx, candidate, stream=False)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(settings.UPSTREAM_FIRST_BYTE_TIMEOUT):
                response = await _send(upstream)
                if response.status_code >= 400:
                    raise await _read_error(candidate, response)
                try:
                    payload = await response.aread()
                finally:
                    await response.aclose()
        except (httpx.HTTPError, TimeoutError) as exc:
            raise _transport_error(exc) from None
        finally:
            ctx.upstream_seconds += time.perf_counter() - started
        return get_adapter(candidate.model.provider).parse_response(
            payload, model=candidate.model.model_id, response_id=ctx.response_id, created=ctx.created
        )

    return await _attempts(ctx, candidates, log, attempt_once)


async def _translated(response: httpx.Response, translator: StreamTranslator, ctx: RequestContext) -> AsyncIterator[list[dict]]:
    """Vendor bytes -> lists of OpenAI chunks; raises ProviderError on a cut or malformed stream."""
    parser = SSEParser()
    iterator = response.aiter_raw().__aiter__()
    while True:
        waited = time.perf_counter()
        try:
            raw = await iterator.__anext__()
        except StopAsyncIteration:
            break
        except (httpx.HTTPError, TimeoutError) as exc:
            raise ProviderError(
                "The provider's stream was cut.", status=0, code="stream_interrupted",
                is_retryable=isinstance(exc, httpx.TimeoutException),
            ) from None
        finally:
            ctx.upstream_seconds += time.perf_counter() - waited
        chunks: list[dict] = []
        for event in parser.feed(raw):
            chunks.extend(translator.feed(event))
        if chunks:
            yield chunks
    chunks = [chunk for event in parser.close() for chunk in translator.feed(event)]
    if chunks:
        yield chunks
    if not translator.is_complete:
        raise ProviderError("The provider's stream ended early.", status=0, code="stream_interrupted", is_retryable=True)


async def open_stream(ctx: RequestContext, candidates: list[Candidate], log: FailureLog) -> OpenStream:
    async def attempt_once(candidate: Candidate) -> OpenStream:
        upstream = _build(ctx, candidate, stream=True)
        adapter = get_adapter(candidate.model.provider)
        translator = adapter.new_stream(model=candidate.model.model_id, response_id=ctx.response_id, created=ctx.created)
        started = time.perf_counter()
        response = None
        try:
            async with asyncio.timeout(settings.UPSTREAM_FIRST_BYTE_TIMEOUT):
                response = await _send(upstream)
                ctx.upstream_seconds += time.perf_counter() - started
                if response.status_code >= 400:
                    raise await _read_error(candidate, response)
                rest = _translated(response, translator, ctx)
                pending: list[dict] = []
                async for chunks in rest:
                    pending = chunks
                    break
        except (httpx.HTTPError, TimeoutError) as exc:
            if response is not None:
                await response.aclose()
            raise _transport_error(exc) from None
        except BaseException:
            if response is not None:
                await response.aclose()
            raise
        return OpenStream(candidate, translator, pending, rest, response.aclose)

    _, opened = await _attempts(ctx, candidates, log, attempt_once)
    return opened
