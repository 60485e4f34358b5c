"""How well the classifier routes the labelled public-benchmark prompts, against two baselines.

    .venv/bin/python bench/routing_eval.py [path/to/routing-dev.jsonl]     (or: make routing-eval)

Predictors
- classifier: gateway.classifier.classify as shipped (its weights were fitted on this very file
  by bench/fit_classifier.py, so this column is optimistic);
- classifier CV: the same classify() with weights and cut-points refitted on 4/5 of the items
  and scored on the held-out fifth (stratified 5-fold, REPEATS shuffles): the honest figure;
- hand rules CV: the hand-set weights (fit_classifier.HAND_WEIGHTS) alone, with only their scale
  and the three cut-points fitted per fold: what the learned scorer has to beat;
- length-only CV: three cut-points on the token estimate chosen per fold to maximise training
  accuracy (an exact search over monotone splits);
- always-MODERATE.

Figures: accuracy, within-one-tier accuracy, Spearman rank correlation (0 for a constant
predictor, whose correlation is undefined), macro-F1 and quadratic-weighted kappa from the 4×4
confusion matrix, and cost. Cost: each item is routed by gateway.routing.route over the default
catalog (gateway/catalog.py, every provider available) at the predicted level; its completion
length is TYPICAL_COMPLETION_TOKENS of the *labelled* tier (the same workload for every
predictor), its prompt the gateway's token estimate. The reference is the dearest catalog model
for every item. "under-served" is the share of items routed to a model below the minimum
quality of their labelled tier.
"""
from __future__ import annotations

import math
import sys
from dataclasses import replace
from decimal import Decimal

from fit_classifier import FOLDS, HAND_WEIGHTS, fit_from_rules, input_matrix
from ordinal_fit import fit_ordinal
from routing_data import DEFAULT_DATA, TIERS, load_items, stratified_folds

from gateway.catalog import MODELS
from gateway.classifier import LEVELS, classify
from gateway.classifier import MODEL
from gateway.registry import ModelInfo, RegistrySnapshot
from gateway.routing import TYPICAL_COMPLETION_TOKENS, estimate_cost, route

REPEATS = 4


def default_snapshot() -> RegistrySnapshot:
    models = {
        m.model_id: ModelInfo(
            model_id=m.model_id, provider=m.provider, display_name=m.display_name, input_price=m.input_price,
            output_price=m.output_price, cached_input_price=m.cached_input_price, quality=m.quality, speed=m.speed,
            context_window=m.context_window, max_output_tokens=m.max_output_tokens, supports_tools=m.supports_tools,
            supports_vision=m.supports_vision, supports_json_mode=m.supports_json_mode, fallbacks=m.fallbacks,
        )
        for m in MODELS
    }
    return RegistrySnapshot(models=models)


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: list[float], y: list[float]) -> float:
    rx, ry = _ranks(x), _ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return 0.0 if sxx == 0 or syy == 0 else sxy / math.sqrt(sxx * syy)


def confusion(predicted: list[int], truth: list[int]) -> list[list[int]]:
    matrix = [[0] * 4 for _ in range(4)]
    for p, t in zip(predicted, truth):
        matrix[t][p] += 1
    return matrix


def macro_f1(matrix) -> float:
    scores = []
    for k in range(4):
        tp = matrix[k][k]
        predicted = sum(matrix[t][k] for t in range(4))
        actual = sum(matrix[k])
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / 4


def quadratic_kappa(matrix) -> float:
    n = sum(map(sum, matrix))
    rows = [sum(r) for r in matrix]
    cols = [sum(matrix[t][p] for t in range(4)) for p in range(4)]
    observed = sum(matrix[t][p] * (t - p) ** 2 for t in range(4) for p in range(4))
    expected = sum(rows[t] * cols[p] / n * (t - p) ** 2 for t in range(4) for p in range(4))
    return 1 - observed / expected if expected else 0.0


def routed_cost(items, predicted, snapshot) -> tuple[Decimal, Decimal, float]:
    providers = frozenset({m.provider for m in snapshot.models.values()})
    routed = reference = Decimal(0)
    under = 0
    for item, level in zip(items, predicted):
        request, true_level = item["request"], LEVELS[item["level"]]
        classification = replace(item["classification"], level=LEVELS[level])
        decision = route(request=request, classification=classification, snapshot=snapshot, available_providers=providers)
        prompt = classification.features["estimated_prompt_tokens"]
        completion = TYPICAL_COMPLETION_TOKENS[true_level]
        routed += estimate_cost(decision.chosen, prompt, completion)
        reference += max(estimate_cost(m, prompt, completion) for m in snapshot.models.values())
        under += decision.chosen.quality < snapshot.min_quality[true_level]
    return routed, reference, under / len(items)


def figures(predicted: list[int], truth: list[int]) -> dict[str, float]:
    matrix = confusion(predicted, truth)
    return {
        "accuracy": sum(p == t for p, t in zip(predicted, truth)) / len(truth),
        "within one tier": sum(abs(p - t) <= 1 for p, t in zip(predicted, truth)) / len(truth),
        "Spearman": spearman(predicted, truth),
        "macro-F1": macro_f1(matrix),
        "quadratic kappa": quadratic_kappa(matrix),
    }


def _cut_points_for(scores: list[float], levels: list[int]) -> dict[str, float]:
    (slope,), thetas = fit_ordinal([[s] for s in scores], levels, l2=0.0)
    return dict(zip(LEVELS[1:], (t / slope for t in thetas)))


def best_length_cuts(values: list[float], levels: list[int]) -> list[float]:
    """Three cut-points on `values` maximising accuracy (ties: within-one), by dynamic programming
    over the distinct values in order; equal values always get the same level."""
    groups = sorted(set(values))
    counts = [[0] * 4 for _ in groups]
    index = {v: g for g, v in enumerate(groups)}
    for v, level in zip(values, levels):
        counts[index[v]][level] += 1

    def gain(g, k):
        row = counts[g]
        return (row[k], sum(row[j] for j in range(4) if abs(j - k) <= 1))

    best = [[gain(0, k)] for k in range(4)]
    choice = [[None] * 4]
    for g in range(1, len(groups)):
        step = []
        for k in range(4):
            prev = max(range(k + 1), key=lambda j: (best[j][g - 1], -j))
            own = gain(g, k)
            step.append(prev)
            best[k].append((best[prev][g - 1][0] + own[0], best[prev][g - 1][1] + own[1]))
        choice.append(step)
    k = max(range(4), key=lambda j: best[j][-1])
    assigned = [0] * len(groups)
    for g in range(len(groups) - 1, -1, -1):
        assigned[g] = k
        if g:
            k = choice[g][k]
    cuts = []
    for level in range(1, 4):
        above = [groups[g] for g in range(len(groups)) if assigned[g] >= level]
        below = [groups[g] for g in range(len(groups)) if assigned[g] < level]
        if not above:
            cuts.append(math.inf)
        elif not below:
            cuts.append(-math.inf)
        else:
            cuts.append((max(below) + min(above)) / 2)
    return cuts


def cross_validated(items, predict_fold) -> list[list[int]]:
    """One prediction list per repeat; predict_fold(train_indices, test_indices) -> {index: level}."""
    levels = [item["level"] for item in items]
    runs = []
    for seed in range(REPEATS):
        predicted = [0] * len(items)
        for fold in stratified_folds(levels, FOLDS, seed):
            held = set(fold)
            train = [i for i in range(len(items)) if i not in held]
            predicted_fold = predict_fold(train, fold)
            for i in fold:
                predicted[i] = predicted_fold[i]
        runs.append(predicted)
    return runs


def main(path: str) -> None:
    items = load_items(path)
    truth = [item["level"] for item in items]
    for item in items:
        item["classification"] = classify(item["request"])
    names, X = input_matrix(items)
    l2 = float(MODEL["l2"])
    log_tokens = [math.log1p(item["classification"].features["estimated_prompt_tokens"]) for item in items]

    def classifier_fold(train, test):
        weights, thresholds = fit_from_rules([X[i] for i in train], [truth[i] for i in train], names, l2=l2)
        overrides = {"weights": dict(zip(names, weights)), **dict(zip(LEVELS[1:], thresholds))}
        return {i: LEVELS.index(classify(items[i]["request"], thresholds=overrides).level) for i in test}

    def hand_fold(train, test):
        overrides = {"weights": {name: HAND_WEIGHTS.get(name, 0.0) for name in names}}
        scores = [classify(items[i]["request"], thresholds=overrides).score for i in range(len(items))]
        overrides.update(_cut_points_for([scores[i] for i in train], [truth[i] for i in train]))
        return {i: LEVELS.index(classify(items[i]["request"], thresholds=overrides).level) for i in test}

    def length_fold(train, test):
        cuts = best_length_cuts([log_tokens[i] for i in train], [truth[i] for i in train])
        return {i: sum(log_tokens[i] > cut for cut in cuts) for i in test}

    columns = {
        "classifier": [[LEVELS.index(item["classification"].level) for item in items]],
        "classifier CV": cross_validated(items, classifier_fold),
        "hand rules CV": cross_validated(items, hand_fold),
        "length-only CV": cross_validated(items, length_fold),
        "length-only fit": [[sum(v > cut for cut in best_length_cuts(log_tokens, truth)) for v in log_tokens]],
        "always-MODERATE": [[1] * len(items)],
    }
    snapshot = default_snapshot()
    table = {}
    for name, runs in columns.items():
        per_run = [figures(run, truth) for run in runs]
        table[name] = {key: sum(r[key] for r in per_run) / len(per_run) for key in per_run[0]}
        routed, reference, under = routed_cost(items, runs[0], snapshot)
        table[name]["routed cost / dearest"] = float(routed / reference)
        table[name]["under-served"] = under
        table[name]["_cost"] = (routed, reference)
    print(f"{len(items)} items from {path}; CV = stratified {FOLDS}-fold × {REPEATS} shuffles (mean)\n")
    width = max(map(len, columns)) + 2
    print(" " * 24 + "".join(f"{name:>{width}}" for name in columns))
    for key in table["classifier"]:
        if not key.startswith("_"):
            print(f"{key:24s}" + "".join(f"{table[name][key]:>{width}.3f}" for name in columns))
    routed, reference = table["classifier"]["_cost"]
    print(f"\nclassifier-routed cost ${routed:.4f} vs dearest catalog model ${reference:.4f} for the {len(items)} items")
    for name in ("classifier", "classifier CV", "length-only CV", "always-MODERATE"):
        print(f"\nconfusion, {name} (rows: labelled tier, columns: predicted; first CV shuffle)")
        matrix = confusion(columns[name][0], truth)
        print(" " * 10 + "".join(f"{t[:8]:>10}" for t in TIERS))
        for tier, row in zip(TIERS, matrix):
            print(f"{tier[:8]:10s}" + "".join(f"{v:>10}" for v in row))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(DEFAULT_DATA))
