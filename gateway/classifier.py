"""How hard a chat request is: SIMPLE, MODERATE, COMPLEX or EXPERT, with the reasons why.

Contract (the /v1 pipeline and the routing preview call it; pure, no I/O, well under 1 ms):

    classify(request, *, thresholds=None, keywords=None) -> Classification
    estimate_tokens(request) -> int

How a level is decided:
1. `classifier_features.extract_features` reads cheap features (token estimate, turns, system
   prompt length, code, maths notation, keyword sets, questions, tools, images, JSON mode).
2. A linear score adds up one weight per model input (`model_inputs`); the weights and the
   three cut-points come from `classifier_model.json`, an ordinal logistic regression fitted by
   `bench/fit_classifier.py` on public benchmark prompts. The score is on a logit scale:
   below `thresholds["moderate"]` is simple, below `"complex"` moderate, below `"expert"` complex.
3. Floors that hold whatever the score says: a prompt of `long_prompt_tokens` or more is at
   least complex, tools with a long system prompt (an agent) at least complex, tools or images
   at least moderate.
4. `reasons` name the inputs that pushed the score furthest from a typical request, and any floor.

Operators override `DEFAULT_THRESHOLDS` keys (and per-input weights under `"weights"`) and
replace `DEFAULT_KEYWORDS` sets by name through ClassifierConfig in the admin.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.classifier_features import estimate_tokens, extract_features, model_inputs
from gateway.classifier_keywords import DEFAULT_KEYWORDS

__all__ = [
    "DEFAULT_KEYWORDS", "DEFAULT_THRESHOLDS", "LEVELS", "Classification", "classify", "estimate_tokens",
    "model_inputs",
]

LEVELS = ("simple", "moderate", "complex", "expert")
MODEL_PATH = Path(__file__).with_name("classifier_model.json")
MODEL = json.loads(MODEL_PATH.read_text())
MODEL_WEIGHTS: dict[str, float] = dict(MODEL["weights"])
TYPICAL_INPUTS: dict[str, float] = dict(MODEL["typical"])

DEFAULT_THRESHOLDS: dict[str, Any] = {
    "moderate": MODEL["thresholds"][0],
    "complex": MODEL["thresholds"][1],
    "expert": MODEL["thresholds"][2],
    "long_prompt_tokens": 3000,
    "agent_system_tokens": 500,
    "weights": {},
}

INPUT_LABELS = {
    "log_context_tokens": "context besides the last message (system, history, tools)",
    "log_task_tokens": "length of the last user message",
    "conversation_depth": "conversation depth",
    "log_system_tokens": "system prompt length",
    "code_present": "code in the prompt",
    "math_notation": "mathematical notation",
    "equations": "equations or arithmetic",
    "numbers": "numbers in the task",
    "questions": "questions asked",
    "list_items": "listed items or steps",
    "query_like": "looks like a search query",
    "tools": "tools offered",
}


@dataclass(frozen=True)
class Classification:
    """`level` is one of LEVELS; `features` is JSON-serialisable (see extract_features)."""

    level: str
    score: float
    features: dict
    reasons: tuple[str, ...]


def _label(name: str, features: dict) -> str:
    if name.startswith("kw_"):
        keyword_set = name[3:]
        return f"{keyword_set.replace('_', ' ')} keywords ×{features['keyword_hits'].get(keyword_set, 0)}"
    return INPUT_LABELS.get(name, name)


def _floors(features: dict, thresholds: dict) -> list[tuple[int, str]]:
    floors = []
    tokens = features["estimated_prompt_tokens"]
    if tokens >= thresholds["long_prompt_tokens"]:
        floors.append((2, f"long context (~{tokens} tokens): at least complex"))
    if features["needs_tools"] and features["system_prompt_tokens"] >= thresholds["agent_system_tokens"]:
        floors.append((2, "tools with a long system prompt (an agent task): at least complex"))
    elif features["needs_tools"]:
        floors.append((1, "tools offered: at least moderate"))
    if features["needs_vision"]:
        floors.append((1, "images in the prompt: at least moderate"))
    return floors


def merged_thresholds(overrides: dict | None) -> dict:
    if not overrides:
        return DEFAULT_THRESHOLDS
    merged = dict(DEFAULT_THRESHOLDS)
    for key, value in overrides.items():
        if key == "weights" and isinstance(value, dict):
            merged["weights"] = {str(k): float(v) for k, v in value.items() if isinstance(v, (int, float))}
        elif key in DEFAULT_THRESHOLDS and isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[key] = value
    return merged


def score_inputs(inputs: dict[str, float], weight_overrides: dict[str, float] | None = None) -> tuple[float, list]:
    """The linear score, and the contribution of each input present (non-zero) relative to its
    value in a typical request: what the reasons report."""
    weights = {**MODEL_WEIGHTS, **weight_overrides} if weight_overrides else MODEL_WEIGHTS
    score, contributions = 0.0, []
    for name, value in inputs.items():
        weight = weights.get(name, 0.0)
        if weight == 0.0:
            continue
        score += weight * value
        if value:
            contributions.append((weight * (value - TYPICAL_INPUTS.get(name, 0.0)), name))
    return score, contributions


def level_for(score: float, thresholds: dict) -> int:
    return sum(score > thresholds[name] for name in LEVELS[1:])


def classify(request: dict, *, thresholds: dict | None = None, keywords: dict | None = None) -> Classification:
    """Classify a chat completions body (already validated). See the module docstring."""
    limits = merged_thresholds(thresholds)
    features = extract_features(request, keywords=keywords)
    inputs = model_inputs(features)
    score, contributions = score_inputs(inputs, limits["weights"])
    level = level_for(score, limits)
    reasons = [f"score {score:.2f} → {LEVELS[level]}"]
    contributions.sort(key=lambda item: (-abs(item[0]), item[1]))
    reasons.extend(f"{_label(name, features)}: {delta:+.2f}" for delta, name in contributions[:3] if abs(delta) >= 0.05)
    for floor, why in _floors(features, limits):
        if floor > level:
            level = floor
            reasons.append(why)
    return Classification(level=LEVELS[level], score=round(score, 4), features=features, reasons=tuple(reasons))
