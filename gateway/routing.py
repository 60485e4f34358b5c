"""Which registry model serves a request: filter, score, rank, and an ordered fallback list.

Contract (pure: no ORM, no I/O; same inputs, same answer):

    route(*, request, classification, snapshot, available_providers, preferences=None) -> RouteDecision
    fallbacks_for(*, model, request, snapshot, available_providers) -> tuple[ModelInfo, ...]
    estimate_cost(model, prompt_tokens, completion_tokens) -> Decimal | None

Filter: a model is eligible when the user holds a key for its provider, their preferences allow
it (allowed/blocked providers and models, output price ceiling), it supports what the request
needs (tools, images, JSON mode), its context window holds the estimated prompt plus the
requested output (`max_completion_tokens`/`max_tokens`, else DEFAULT_OUTPUT_TOKENS) and its
maximum output covers an explicit request. Eligible models below the complexity's minimum quality
are excluded too, unless none reaches it: then every eligible model stays and the best quality
wins (the reasons say so). Nothing eligible raises NoEligibleModelError (400).

Score, each on [0, 1] across the candidates (1 = best; all equal gives 1):
- cost: the estimated cost of this request (prompt estimate, requested or typical completion),
  log-scaled min-max so the cheapest is 1 and the dearest 0; an unpriced model scores 0;
- quality and speed: min-max of the registry's 0-100 scores.
total = w_cost·cost + w_quality·quality + w_speed·speed, with the user's weights over the
operator's. Ties go to the lower model_id. Fallbacks take the best candidate of each other
provider first, then the rest in rank order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from gateway.classifier import Classification
from gateway.classifier_features import estimate_tokens, has_images, needs_json, requested_output_tokens
from gateway.errors import InvalidRequestError
from gateway.preferences import Preferences
from gateway.registry import ModelInfo, RegistrySnapshot, Weights

DEFAULT_OUTPUT_TOKENS = 1024
# Completion tokens assumed for the cost estimate when the request sets no limit.
TYPICAL_COMPLETION_TOKENS = {"simple": 200, "moderate": 500, "complex": 1000, "expert": 1500}
MILLION = Decimal(1_000_000)
AUTO_FALLBACKS = 2
SIMILAR_QUALITY_MARGIN = 5


class NoEligibleModelError(InvalidRequestError):
    """400: no registry model can serve this request for this user (a missing provider key, the
    user's own preferences, or needs no enabled model meets). The message says which."""

    code = "no_eligible_model"


@dataclass(frozen=True)
class CandidateScore:
    model_id: str
    provider: str
    cost_score: float
    quality_score: float
    speed_score: float
    total: float
    estimated_cost_usd: Decimal | None


@dataclass(frozen=True)
class RouteDecision:
    chosen: ModelInfo
    fallbacks: tuple[ModelInfo, ...]
    candidates: tuple[CandidateScore, ...]
    excluded: tuple[tuple[str, str], ...]
    baseline: ModelInfo | None
    reasons: tuple[str, ...]
    weights: Weights = Weights()
    min_quality: int = 0


@dataclass(frozen=True)
class RequestNeeds:
    tools: bool
    vision: bool
    json: bool
    prompt_tokens: int
    output_tokens: int
    explicit_output: int | None

    @classmethod
    def of(cls, request: dict, features: dict | None = None) -> RequestNeeds:
        explicit = requested_output_tokens(request)
        if features is None:
            tools = request.get("tools")
            features = {
                "needs_tools": isinstance(tools, list) and len(tools) > 0,
                "needs_vision": has_images(request),
                "estimated_prompt_tokens": estimate_tokens(request),
            }
        return cls(
            tools=bool(features["needs_tools"]),
            vision=bool(features["needs_vision"]),
            json=needs_json(request),
            prompt_tokens=int(features["estimated_prompt_tokens"]),
            output_tokens=explicit or DEFAULT_OUTPUT_TOKENS,
            explicit_output=explicit,
        )


def estimate_cost(model: ModelInfo, prompt_tokens: int, completion_tokens: int) -> Decimal | None:
    """USD for this many tokens at the model's per-million prices; None when unpriced."""
    if not model.is_priced:
        return None
    return (model.input_price * prompt_tokens + model.output_price * completion_tokens) / MILLION


def capability_problem(model: ModelInfo, needs: RequestNeeds) -> str | None:
    if needs.tools and not model.supports_tools:
        return "does not support tools"
    if needs.vision and not model.supports_vision:
        return "does not accept images"
    if needs.json and not model.supports_json_mode:
        return "has no JSON mode"
    needed = needs.prompt_tokens + needs.output_tokens
    if needed > model.context_window:
        return f"context window {model.context_window} < ~{needed} tokens (prompt + output)"
    if needs.explicit_output and needs.explicit_output > model.max_output_tokens:
        return f"max output {model.max_output_tokens} < requested {needs.explicit_output}"
    return None


def preference_problem(model: ModelInfo, prefs: Preferences | None) -> str | None:
    if prefs is None:
        return None
    if model.provider in prefs.blocked_providers:
        return f"provider {model.provider} blocked by your preferences"
    if prefs.allowed_providers and model.provider not in prefs.allowed_providers:
        return f"provider {model.provider} not in your allowed providers"
    if model.model_id in prefs.blocked_models:
        return "blocked by your preferences"
    if prefs.allowed_models and model.model_id not in prefs.allowed_models:
        return "not in your allowed models"
    if prefs.max_price_per_mtok is not None:
        if model.output_price is None:
            return "unpriced, and you set a price ceiling"
        if model.output_price > prefs.max_price_per_mtok:
            return f"output price {model.output_price}/Mtok above your ceiling {prefs.max_price_per_mtok}"
    return None


def _eligibility(models, needs, available_providers, prefs) -> tuple[list[ModelInfo], list[tuple[str, str]]]:
    eligible, excluded = [], []
    for model in models:
        if model.provider not in available_providers:
            problem = f"no {model.provider} provider key"
        else:
            problem = preference_problem(model, prefs) or capability_problem(model, needs)
        if problem:
            excluded.append((model.model_id, problem))
        else:
            eligible.append(model)
    return eligible, excluded


def _normalise(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low < 1e-12:
        return [1.0] * len(values)
    return [(v - low) / (high - low) for v in values]


def score_candidates(models: list[ModelInfo], *, prompt_tokens: int, completion_tokens: int, weights: Weights) -> list[CandidateScore]:
    """Score and rank (best first, ties by model_id); see the module docstring for the scales."""
    costs = [estimate_cost(m, prompt_tokens, completion_tokens) for m in models]
    priced = [math.log(float(c) + 1e-9) for c in costs if c is not None]
    cost_scores = []
    for cost in costs:
        if cost is None:
            cost_scores.append(0.0)
        elif len(priced) < 2 or max(priced) - min(priced) < 1e-12:
            cost_scores.append(1.0)
        else:
            cost_scores.append((max(priced) - math.log(float(cost) + 1e-9)) / (max(priced) - min(priced)))
    qualities = _normalise([float(m.quality) for m in models])
    speeds = _normalise([float(m.speed) for m in models])
    scored = [
        CandidateScore(
            model_id=m.model_id,
            provider=m.provider,
            cost_score=round(c, 4),
            quality_score=round(q, 4),
            speed_score=round(s, 4),
            total=round(weights.cost * c + weights.quality * q + weights.speed * s, 4),
            estimated_cost_usd=usd,
        )
        for m, usd, c, q, s in zip(models, costs, cost_scores, qualities, speeds)
    ]
    scored.sort(key=lambda cs: (-cs.total, cs.model_id))
    return scored


def order_fallbacks(ranked: list[ModelInfo], chosen: ModelInfo) -> tuple[ModelInfo, ...]:
    """The best model of each provider other than the chosen one's first, then the rest."""
    rest = [m for m in ranked if m.model_id != chosen.model_id]
    seen = {chosen.provider}
    first = []
    for model in rest:
        if model.provider not in seen:
            seen.add(model.provider)
            first.append(model)
    return tuple(first + [m for m in rest if m not in first])


def _most_expensive(models: list[ModelInfo], needs: RequestNeeds, completion_tokens: int) -> ModelInfo | None:
    priced = [(estimate_cost(m, needs.prompt_tokens, completion_tokens), m.model_id, m) for m in models if m.is_priced]
    if not priced:
        return None
    return max(priced, key=lambda item: (item[0], item[1]))[2]


def _no_eligible_message(excluded: list[tuple[str, str]], available_providers: frozenset[str]) -> str:
    if not available_providers:
        return "No model can serve this request: add a provider key (POST /api/keys/providers) first."
    kinds: dict[str, int] = {}
    for _, reason in excluded:
        kind = reason.split(" <")[0] if "<" in reason else reason
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = "; ".join(f"{count} × {kind}" for kind, count in sorted(kinds.items()))
    return f"No enabled model can serve this request ({summary or 'no models are enabled'})."


def route(
    *,
    request: dict,
    classification: Classification,
    snapshot: RegistrySnapshot,
    available_providers: frozenset[str],
    preferences: Preferences | None = None,
) -> RouteDecision:
    """Choose a model for a `model: "auto"` request; see the module docstring."""
    needs = RequestNeeds.of(request, classification.features)
    level = classification.level
    models = sorted(snapshot.models.values(), key=lambda m: m.model_id)
    eligible, excluded = _eligibility(models, needs, available_providers, preferences)
    if not eligible:
        raise NoEligibleModelError(_no_eligible_message(excluded, available_providers))
    min_quality = int(snapshot.min_quality.get(level, 0))
    good = [m for m in eligible if m.quality >= min_quality]
    weights = preferences.weights_over(snapshot.weights) if preferences else snapshot.weights
    completion = needs.explicit_output or TYPICAL_COMPLETION_TOKENS.get(level, DEFAULT_OUTPUT_TOKENS)
    reasons = [f"complexity {level}: minimum quality {min_quality}"]
    if good:
        excluded += [(m.model_id, f"quality {m.quality} < {min_quality} needed for {level}") for m in eligible if m not in good]
        pool = good
    else:
        best = max(m.quality for m in eligible)
        reasons.append(f"no eligible model reaches quality {min_quality}; using the best available (quality {best})")
        pool = eligible
    scored = score_candidates(pool, prompt_tokens=needs.prompt_tokens, completion_tokens=completion, weights=weights)
    if not good:
        by_quality = {m.model_id: m.quality for m in pool}
        scored.sort(key=lambda cs: (-by_quality[cs.model_id], -cs.total, cs.model_id))
    by_id = {m.model_id: m for m in pool}
    ranked = [by_id[cs.model_id] for cs in scored]
    chosen = ranked[0]
    top = scored[0]
    reasons.append(
        f"weights cost {weights.cost:.2f} / quality {weights.quality:.2f} / speed {weights.speed:.2f}"
        + (" (your preferences)" if preferences and preferences.has_weight_overrides else "")
    )
    reasons.append(
        f"chose {chosen.model_id}: total {top.total:.3f} (cost {top.cost_score:.2f}, quality {top.quality_score:.2f}, "
        f"speed {top.speed_score:.2f}) among {len(scored)} candidate(s)"
    )
    return RouteDecision(
        chosen=chosen,
        fallbacks=order_fallbacks(ranked, chosen),
        candidates=tuple(scored),
        excluded=tuple(excluded),
        baseline=_most_expensive(eligible, needs, completion),
        reasons=tuple(reasons),
        weights=weights,
        min_quality=min_quality,
    )


def fallbacks_for(
    *, model: ModelInfo, request: dict, snapshot: RegistrySnapshot, available_providers: frozenset[str]
) -> tuple[ModelInfo, ...]:
    """Fallbacks for a request naming `model`: its configured fallbacks that the user can reach and
    that meet the request's needs, in the operator's order; when none is configured or none
    survives, up to AUTO_FALLBACKS models from other providers of similar (within
    SIMILAR_QUALITY_MARGIN) or higher quality, closest quality first, then cheapest."""
    needs = RequestNeeds.of(request)

    def usable(candidate: ModelInfo | None) -> bool:
        return (
            candidate is not None
            and candidate.model_id != model.model_id
            and candidate.provider in available_providers
            and capability_problem(candidate, needs) is None
        )

    configured = tuple(snapshot.models[i] for i in model.fallbacks if usable(snapshot.models.get(i)))
    if configured:
        return configured
    similar = [
        m for m in snapshot.models.values()
        if m.provider != model.provider and m.quality >= model.quality - SIMILAR_QUALITY_MARGIN and usable(m)
    ]
    completion = needs.explicit_output or DEFAULT_OUTPUT_TOKENS

    def closeness(m: ModelInfo):
        cost = estimate_cost(m, needs.prompt_tokens, completion)
        return (abs(m.quality - model.quality), cost is None, cost or 0, m.model_id)

    ordered = sorted(similar, key=closeness)
    picked: list[ModelInfo] = []
    for candidate in ordered:
        if all(p.provider != candidate.provider for p in picked):
            picked.append(candidate)
    picked += [m for m in ordered if m not in picked]
    return tuple(picked[:AUTO_FALLBACKS])
