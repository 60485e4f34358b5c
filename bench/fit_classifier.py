"""Fit the classifier's linear score and write gateway/classifier_model.json.

    .venv/bin/python bench/fit_classifier.py [path/to/routing-dev.jsonl]

An ordinal logistic regression (bench/ordinal_fit.py, pure Python) over the model inputs of
gateway.classifier_features. The L2 strength is the one with the best accuracy over repeated
stratified 5-fold cross-validation (ties: the stronger penalty); the final weights are
fitted on all items. `typical` holds each input's mean, the reference the reasons are told
against. Only numbers are written: no prompt text leaves the data folder.
"""
from __future__ import annotations

import json
import sys

from ordinal_fit import fit_ordinal, predict_level
from routing_data import DEFAULT_DATA, REPO, load_items, stratified_folds

from gateway.classifier_features import extract_features, model_inputs

L2_GRID = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
# The rules, written by hand from what makes a prompt hard in general, before any fitting: the
# fit starts from them (scaled to the logit scale) and the L2 penalty pulls back towards them.
HAND_WEIGHTS = {
    "kw_reasoning": 1.0, "kw_math": 0.6, "kw_analysis": 0.8, "kw_creative": 0.3, "kw_expert": 1.0,
    "kw_code": 0.6, "kw_scope": 0.5, "kw_constraints": 0.5, "kw_long_output": 0.6, "kw_simple": -1.0,
    "kw_short_output": -1.0, "math_notation": 0.8, "code_present": 0.8, "conversation_depth": 0.3,
    "log_task_tokens": 0.4, "list_items": 0.4, "query_like": -2.0,
}
FOLDS, REPEATS = 5, 4
MODEL_FILE = REPO / "gateway" / "classifier_model.json"


def input_matrix(items: list[dict]) -> tuple[list[str], list[list[float]]]:
    rows = [model_inputs(extract_features(item["request"])) for item in items]
    names = sorted(rows[0])
    return names, [[row[name] for name in names] for row in rows]


def fit_from_rules(X, y, names: list[str], *, l2: float) -> tuple[list[float], list[float]]:
    """Weights and cut-points: the hand rules rescaled to the data, then adjusted under L2."""
    hand = [HAND_WEIGHTS.get(name, 0.0) for name in names]
    (slope,), _ = fit_ordinal([[sum(h * v for h, v in zip(hand, x))] for x in X], y, l2=0.0)
    return fit_ordinal(X, y, l2=l2, prior=[slope * h for h in hand])


def cross_validated_predictions(X, y, names, *, l2: float, seed: int, k: int = FOLDS) -> list[int]:
    predictions = [0] * len(y)
    for fold in stratified_folds(y, k, seed):
        held = set(fold)
        train = [i for i in range(len(y)) if i not in held]
        weights, thresholds = fit_from_rules([X[i] for i in train], [y[i] for i in train], names, l2=l2)
        for i in fold:
            predictions[i] = predict_level(weights, thresholds, X[i])
    return predictions


def cv_quality(X, y, names, l2: float) -> tuple[float, float]:
    exact = within = 0
    for seed in range(REPEATS):
        predicted = cross_validated_predictions(X, y, names, l2=l2, seed=seed)
        exact += sum(p == t for p, t in zip(predicted, y))
        within += sum(abs(p - t) <= 1 for p, t in zip(predicted, y))
    total = REPEATS * len(y)
    return exact / total, within / total


def main(path: str) -> None:
    items = load_items(path)
    y = [item["level"] for item in items]
    names, X = input_matrix(items)
    results = {l2: cv_quality(X, y, names, l2) for l2 in L2_GRID}
    for l2, (exact, within) in results.items():
        print(f"l2={l2:<5g} CV accuracy {exact:.3f}  within-one {within:.3f}")
    best = max(L2_GRID, key=lambda l2: (round(results[l2][0], 3), l2))
    weights, thresholds = fit_from_rules(X, y, names, l2=best)
    model = {
        "about": "Ordinal logistic regression fitted by bench/fit_classifier.py; see gateway/classifier.py.",
        "data": "shared/data/routing-dev.jsonl",
        "items": len(y),
        "l2": best,
        "cv_accuracy": round(results[best][0], 4),
        "cv_within_one": round(results[best][1], 4),
        "thresholds": [round(t, 4) for t in thresholds],
        "weights": {name: round(w, 4) for name, w in zip(names, weights)},
        "typical": {name: round(sum(x[j] for x in X) / len(X), 4) for j, name in enumerate(names)},
    }
    MODEL_FILE.write_text(json.dumps(model, indent=2) + "\n")
    print(f"chose l2={best}; wrote {MODEL_FILE.relative_to(REPO)}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_DATA))
