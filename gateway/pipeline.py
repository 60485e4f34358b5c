"""The journey of one chat completion request through the gateway.

    validate -> registry snapshot + provider keys -> rate limit -> classify and route
    -> cache -> budget -> call (retries, fallbacks) or stream -> price -> record -> cache

Each step lives in its own module; this file only puts them in order and makes sure that every
request, whatever happens to it, is recorded exactly once (`_finish`).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

from django.conf import settings

from analytics import metrics, recorder
from analytics.services import usage_record_build
from gateway import calls, streaming
from gateway.calls import Candidate, FailureLog
from gateway.context import RequestContext
from gateway.decision import Decision, decide
from gateway.errors import GatewayError, PermissionDeniedError
from gateway.pricing import usage_cost
from gateway.provider_keys import provider_secrets
from gateway.providers.base import ProviderError
from gateway.registry import get_snapshot
from gateway.validation import parse_json, validate_chat_request


@dataclass
class JSONReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StreamReply:
    chunks: AsyncIterator[bytes]
    headers: dict[str, str] = field(default_factory=dict)


def _finish(ctx: RequestContext) -> None:
    """Price, record and count the request: once, whatever path it took."""
    if ctx.is_recorded:
        return
    ctx.is_recorded = True
    if ctx.model is not None and ctx.cache in ("miss", "bypass"):
        ctx.cost_usd = usage_cost(ctx.model, ctx.usage)
    recorder.submit(usage_record_build(ctx))
    metrics.observe_request(
        model=ctx.model.model_id if ctx.model else "none",
        provider=ctx.model.provider if ctx.model else "none",
        status=ctx.status,
        complexity=ctx.complexity or "none",
        cache=ctx.cache,
        latency_s=ctx.elapsed_ms() / 1000,
        cost_usd=float(ctx.cost_usd) if ctx.cost_usd is not None else None,
    )


def _provider_error_counter(candidate: Candidate, error: ProviderError) -> None:
    metrics.observe_provider_error(provider=candidate.model.provider, code=error.code)


def _candidates(decision: Decision, secrets: dict[str, str], base_urls: dict[str, str]) -> list[Candidate]:
    first = decision.models[0]
    if first.provider not in secrets:
        raise PermissionDeniedError(
            f"You hold no {first.provider} key. Add one (POST /api/keys/providers) to use {first.model_id}.",
            code="no_provider_key",
        )
    return [Candidate(m, secrets[m.provider], base_urls[m.provider]) for m in decision.models if m.provider in secrets]


async def handle_chat(ctx: RequestContext, raw_body: bytes) -> JSONReply | StreamReply:
    try:
        return await _handle(ctx, raw_body)
    except GatewayError as error:
        ctx.status, ctx.error_code = error.status, error.code
        _finish(ctx)
        return JSONReply(error.status, error.to_body(), {**ctx.gateway_headers(), **error.headers})
    except asyncio.CancelledError:
        ctx.status, ctx.error_code = 499, "client_disconnected"
        _finish(ctx)
        raise


async def _handle(ctx: RequestContext, raw_body: bytes) -> JSONReply | StreamReply:
    body = validate_chat_request(parse_json(raw_body))
    ctx.body = body
    ctx.requested_model = body["model"]
    ctx.stream = bool(body.get("stream"))
    ctx.include_usage = bool(ctx.stream and (body.get("stream_options") or {}).get("include_usage"))
    snapshot = await get_snapshot()
    secrets = await provider_secrets(ctx.principal.user_id)
    decision = decide(
        body, snapshot=snapshot, available_providers=frozenset(secrets), max_fallbacks=settings.MAX_FALLBACKS
    )
    ctx.complexity = decision.classification.level
    candidates = _candidates(decision, secrets, snapshot.base_urls)
    log = FailureLog(on_error=_provider_error_counter)
    if ctx.stream:
        opened = await calls.open_stream(ctx, candidates, log)
        ctx.model = opened.candidate.model
        return StreamReply(streaming.relay(ctx, opened, _finish_with_baseline(decision)), ctx.gateway_headers())
    candidate, completion = await calls.complete(ctx, candidates, log)
    ctx.model = candidate.model
    ctx.usage = completion.usage
    ctx.response_body = completion.body
    _price_baseline(ctx, decision)
    _finish(ctx)
    return JSONReply(200, completion.body, ctx.gateway_headers())


def _price_baseline(ctx: RequestContext, decision: Decision) -> None:
    if decision.baseline is not None:
        ctx.baseline_cost_usd = usage_cost(decision.baseline, ctx.usage)


def _finish_with_baseline(decision: Decision):
    def finish(ctx: RequestContext) -> None:
        _price_baseline(ctx, decision)
        _finish(ctx)

    return finish
