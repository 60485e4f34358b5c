"""The journey of one chat completion request through the gateway.

    validate -> registry + user data -> rate limit -> classify and route -> cache
    -> budget -> call (retries, fallbacks) or stream -> settle -> record -> store in cache

Each step lives in its own module; this file puts them in order and makes sure that every
request, whatever happens to it, is settled and recorded exactly once (`Journey.finish`).
"""
from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from analytics import metrics, recorder
from analytics.services import usage_record_build
from gateway import calls, ratelimit, streaming
from gateway.cache import CachedAnswer, cache_key, get_response_cache, is_cacheable, is_storable
from gateway.cache import replay_as_chunks, replay_as_completion
from gateway.calls import Candidate, FailureLog
from gateway.classifier import estimate_tokens
from gateway.conf import settings
from gateway.context import RequestContext
from gateway.decision import Decision, decide
from gateway.errors import GatewayError, PermissionDeniedError
from gateway.pricing import usage_cost
from gateway.providers.base import ProviderError
from gateway.registry import RegistrySnapshot, get_snapshot
from gateway.replies import JSONReply, StreamReply, error_reply
from gateway.routing import estimate_cost
from gateway.semantic_cache import get_semantic_cache
from gateway.stream_answer import StreamAnswer
from gateway.user_data import user_data
from gateway.validation import parse_json, validate_chat_request

DEFAULT_OUTPUT_ESTIMATE = 1024
ZERO = Decimal(0)
_background: set[asyncio.Task] = set()


async def handle_chat(ctx: RequestContext, raw_body: bytes) -> JSONReply | StreamReply:
    journey = Journey(ctx)
    try:
        return await journey.run(raw_body)
    except GatewayError as error:
        ctx.status, ctx.error_code = error.status, error.code
        journey.finish(ctx)
        return error_reply(error, ctx.gateway_headers())
    except asyncio.CancelledError:
        ctx.status, ctx.error_code = 499, "client_disconnected"
        journey.finish(ctx)
        raise


def _in_background(coroutine) -> None:
    """Run settlement work that must not be lost even if the request's own task is cancelled."""
    task = asyncio.get_running_loop().create_task(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)


class Journey:
    """One request's state between steps: what was reserved, estimated and decided."""

    def __init__(self, ctx: RequestContext):
        self.ctx = ctx
        self.decision: Decision | None = None
        self.reservation = None
        self.estimated_tokens = 0
        self.is_admitted = False
        self.cache_key: str | None = None
        self.stream_answer: StreamAnswer | None = None

    async def run(self, raw_body: bytes) -> JSONReply | StreamReply:
        ctx = self.ctx
        body = validate_chat_request(parse_json(raw_body))
        ctx.body, ctx.requested_model = body, body["model"]
        ctx.stream = bool(body.get("stream"))
        ctx.include_usage = bool(ctx.stream and (body.get("stream_options") or {}).get("include_usage"))
        snapshot = await get_snapshot()
        user = await user_data(ctx.principal.user_id)
        output_estimate = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_OUTPUT_ESTIMATE
        self.estimated_tokens = estimate_tokens(body) + output_estimate
        await ratelimit.admit_request(ctx.principal, estimated_tokens=self.estimated_tokens)
        self.is_admitted = True
        self.decision = decide(
            body, snapshot=snapshot, available_providers=user.providers, preferences=user.preferences,
            max_fallbacks=settings.MAX_FALLBACKS,
        )
        ctx.complexity = self.decision.classification.level
        cached = await self.cached_answer(snapshot)
        if cached is not None:
            return self.reply_from_cache(cached, snapshot)
        candidates = self.candidates(user.secrets, snapshot)
        self.reservation = await ratelimit.reserve_budget(
            ctx.principal, amount_usd=self.worst_case_cost(candidates, output_estimate)
        )
        log = FailureLog(on_error=_count_provider_error)
        if ctx.stream:
            opened = await calls.open_stream(ctx, candidates, log)
            ctx.answered_by(opened.candidate.model)
            self.stream_answer = StreamAnswer()
            chunks = streaming.relay(ctx, opened, self.finish, observer=self.stream_answer.add)
            return StreamReply(chunks, ctx.gateway_headers())
        candidate, completion = await calls.complete(ctx, candidates, log)
        ctx.answered_by(candidate.model)
        ctx.usage, ctx.response_body = completion.usage, completion.body
        self.finish(ctx)
        return JSONReply(200, completion.body, ctx.gateway_headers())

    def candidates(self, secrets: dict[str, str], snapshot: RegistrySnapshot) -> list[Candidate]:
        first = self.decision.models[0]
        if first.provider not in secrets:
            raise PermissionDeniedError(
                f"You hold no {first.provider} key. Add one (POST /api/keys/providers) to use {first.model_id}.",
                code="no_provider_key",
            )
        return [
            Candidate(m, secrets[m.provider], snapshot.base_urls[m.provider])
            for m in self.decision.models
            if m.provider in secrets
        ]

    def worst_case_cost(self, candidates: list[Candidate], output_estimate: int) -> Decimal:
        prompt = self.estimated_tokens - output_estimate
        costs = [estimate_cost(c.model, prompt, output_estimate) for c in candidates]
        return max((c for c in costs if c is not None), default=ZERO)

    async def cached_answer(self, snapshot: RegistrySnapshot) -> CachedAnswer | None:
        ctx = self.ctx
        if ctx.cache_bypass or not is_cacheable(ctx.body):
            ctx.cache = "bypass"
            return None
        self.cache_key = cache_key(user_id=ctx.principal.user_id, body=ctx.body)
        answer = await get_response_cache().get(self.cache_key)
        if answer is not None:
            ctx.cache = "hit"
        else:
            semantic = get_semantic_cache()
            answer = await semantic.lookup(user_id=ctx.principal.user_id, body=ctx.body) if semantic else None
            if answer is not None:
                ctx.cache = "semantic-hit"
        metrics.observe_cache(answer is not None, semantic=ctx.cache == "semantic-hit")
        return answer

    def reply_from_cache(self, answer: CachedAnswer, snapshot: RegistrySnapshot) -> JSONReply | StreamReply:
        ctx = self.ctx
        ctx.answered_by(snapshot.models.get(answer.model), model_id=answer.model, provider=answer.provider)
        ctx.usage = answer.usage
        ctx.saved_by_cache_usd = answer.cost_usd
        if ctx.stream:
            chunks = replay_as_chunks(answer, response_id=ctx.response_id, created=ctx.created,
                                      include_usage=ctx.include_usage)
            ctx.first_byte_at = time.perf_counter()
            return StreamReply(streaming.replay(ctx, chunks, self.finish), ctx.gateway_headers())
        body = replay_as_completion(answer, response_id=ctx.response_id, created=ctx.created)
        ctx.response_body = body
        self.finish(ctx)
        return JSONReply(200, body, ctx.gateway_headers())

    def finish(self, ctx: RequestContext) -> None:
        """Price, settle, record, count and cache the request: once, whatever path it took."""
        if ctx.is_recorded:
            return
        ctx.is_recorded = True
        is_cache_hit = ctx.cache in ("hit", "semantic-hit")
        if is_cache_hit:
            ctx.cost_usd = ZERO
        elif ctx.model is not None:
            ctx.cost_usd = usage_cost(ctx.model, ctx.usage)
        else:
            ctx.cost_usd = ZERO  # nothing answered, nothing billed
        # A hit's saving is what its answer cost (saved_by_cache_usd); a baseline beside it would
        # count that saving twice in analytics.
        if not is_cache_hit and self.decision is not None and self.decision.baseline is not None \
                and ctx.usage.total_tokens:
            ctx.baseline_cost_usd = usage_cost(self.decision.baseline, ctx.usage)
        recorder.submit(usage_record_build(ctx))
        metrics.observe_request(
            model=ctx.model_id or "none", provider=ctx.provider or "none", status=ctx.status,
            complexity=ctx.complexity or "none", cache=ctx.cache, latency_s=ctx.elapsed_ms() / 1000,
            cost_usd=float(ctx.cost_usd) if ctx.cost_usd is not None else None,
        )
        if ctx.first_byte_at is not None and ctx.provider:
            metrics.observe_ttft(provider=ctx.provider, ttft_s=ctx.first_byte_at - ctx.started)
        if ctx.fallbacks and ctx.provider:
            metrics.observe_fallback(provider=ctx.provider)
        _in_background(self.settle(ctx, is_cache_hit))

    async def settle(self, ctx: RequestContext, is_cache_hit: bool) -> None:
        await ratelimit.settle_budget(self.reservation, actual_usd=ctx.cost_usd)
        if self.is_admitted:
            spent = 0 if is_cache_hit else ctx.usage.total_tokens  # a cached answer costs no vendor tokens
            await ratelimit.record_tokens(ctx.principal, estimated=self.estimated_tokens, actual=spent)
        if is_cache_hit or ctx.status != 200 or self.cache_key is None or ctx.model is None:
            return
        body = ctx.response_body
        if body is None and self.stream_answer is not None:
            body = self.stream_answer.completion(response_id=ctx.response_id, created=ctx.created,
                                                 model=ctx.model_id, usage=ctx.usage)
        if body is None or not is_storable(body):
            return
        answer = CachedAnswer(body=body, model=ctx.model_id, provider=ctx.provider, usage=ctx.usage,
                              cost_usd=ctx.cost_usd, created_at=time.time())
        await get_response_cache().set(self.cache_key, answer)
        semantic = get_semantic_cache()
        if semantic is not None:
            await semantic.store(user_id=ctx.principal.user_id, body=ctx.body, answer=answer)


def _count_provider_error(candidate: Candidate, error: ProviderError) -> None:
    metrics.observe_provider_error(provider=candidate.model.provider, code=error.code)
