"""Which models a request goes to: classify, then route (`auto`) or take the named model.

Answers the ordered candidate list and the most expensive eligible model (the baseline the
saving is measured against).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.classifier import Classification, classify
from gateway.errors import ModelNotFoundError
from gateway.registry import ModelInfo, RegistrySnapshot
from gateway.routing import RouteDecision, fallbacks_for, route

AUTO_MODEL = "auto"


@dataclass(frozen=True)
class Decision:
    classification: Classification
    models: tuple[ModelInfo, ...]
    baseline: ModelInfo | None
    route: RouteDecision | None = None


def decide(
    body: dict[str, Any],
    *,
    snapshot: RegistrySnapshot,
    available_providers: frozenset[str],
    preferences=None,
    max_fallbacks: int = 3,
) -> Decision:
    classification = classify(body, thresholds=snapshot.classifier_thresholds, keywords=snapshot.classifier_keywords)
    requested = body["model"]
    if requested == AUTO_MODEL:
        decision = route(
            request=body,
            classification=classification,
            snapshot=snapshot,
            available_providers=available_providers,
            preferences=preferences,
        )
        models = (decision.chosen, *decision.fallbacks[:max_fallbacks])
        return Decision(classification, models, decision.baseline, decision)
    model = snapshot.models.get(requested)
    if model is None:
        raise ModelNotFoundError(
            f"The model '{requested[:100]}' does not exist or is not enabled. GET /v1/models lists the models you can use.",
            param="model",
        )
    fallbacks = fallbacks_for(model=model, request=body, snapshot=snapshot, available_providers=available_providers)
    return Decision(classification, (model, *fallbacks[:max_fallbacks]), model)
