"""Proportional-odds (ordinal logistic) regression in pure Python, fitted by damped Newton steps.

P(tier <= k) = sigmoid(theta_k - w·x). Features are standardised inside the fit and the answer
is mapped back to raw-feature weights and thresholds, so inference is one dot product and three
comparisons. L2 penalty on w (not on the thresholds). Deterministic: no random start.
"""
from __future__ import annotations

import math


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    n = len(vector)
    m = [row[:] + [v] for row, v in zip(matrix, vector)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[pivot] = m[pivot], m[c]
        if abs(m[c][c]) < 1e-12:
            m[c][c] = 1e-12
        for r in range(n):
            if r != c and m[r][c] != 0.0:
                factor = m[r][c] / m[c][c]
                row_c, row_r = m[c], m[r]
                for k in range(c, n + 1):
                    row_r[k] -= factor * row_c[k]
    return [m[i][n] / m[i][i] for i in range(n)]


def _item_terms(theta, levels, y, s):
    """log p, d/da, d/db, and second derivatives of log(F(a) - F(b)) for one item."""
    a_inf = y == levels - 1
    b_inf = y == 0
    fa = 1.0 if a_inf else _sigmoid(theta[y] - s)
    fb = 0.0 if b_inf else _sigmoid(theta[y - 1] - s)
    p = max(fa - fb, 1e-12)
    da = 0.0 if a_inf else fa * (1 - fa)
    db = 0.0 if b_inf else fb * (1 - fb)
    dda = 0.0 if a_inf else da * (1 - 2 * fa)
    ddb = 0.0 if b_inf else db * (1 - 2 * fb)
    g_a, g_b = da / p, -db / p
    g_aa = dda / p - g_a * g_a
    g_bb = -ddb / p - g_b * g_b
    g_ab = -g_a * g_b
    return math.log(p), g_a, g_b, g_aa, g_bb, g_ab


def _objective(Z, y, w, theta, l2, levels, prior):
    total = -0.5 * l2 * sum((v - p) ** 2 for v, p in zip(w, prior))
    for z, yi in zip(Z, y):
        s = sum(a * b for a, b in zip(w, z))
        total += _item_terms(theta, levels, yi, s)[0]
    return total


def fit_ordinal(
    X: list[list[float]], y: list[int], *, l2: float = 5.0, levels: int = 4, iterations: int = 50,
    prior: list[float] | None = None,
):
    """Answer (weights, thresholds) on the raw feature scale.

    `prior` (raw-scale weights) is what the L2 penalty pulls towards; zero when not given.
    """
    n, d = len(X), len(X[0])
    mu = [sum(x[j] for x in X) / n for j in range(d)]
    sd = [math.sqrt(sum((x[j] - mu[j]) ** 2 for x in X) / n) or 1.0 for j in range(d)]
    Z = [[(x[j] - mu[j]) / sd[j] for j in range(d)] for x in X]
    prior_std = [p * sd[j] for j, p in enumerate(prior)] if prior else [0.0] * d
    w = prior_std[:]
    theta = [(k + 1 - (levels - 1) / 2 - 0.5) * 1.5 for k in range(levels - 1)]
    size = d + levels - 1
    current = _objective(Z, y, w, theta, l2, levels, prior_std)
    for _ in range(iterations):
        grad = [0.0] * size
        hess = [[0.0] * size for _ in range(size)]
        for z, yi in zip(Z, y):
            s = sum(a * b for a, b in zip(w, z))
            _, g_a, g_b, g_aa, g_bb, g_ab = _item_terms(theta, levels, yi, s)
            g_s = -(g_a + g_b)
            h_ss = g_aa + 2 * g_ab + g_bb
            for j in range(d):
                grad[j] += g_s * z[j]
                row = hess[j]
                hz = h_ss * z[j]
                for k in range(j, d):
                    row[k] += hz * z[k]
            upper, lower = d + yi, d + yi - 1
            if yi < levels - 1:
                grad[upper] += g_a
                hess[upper][upper] += g_aa
                for j in range(d):
                    hess[j][upper] += -(g_aa + g_ab) * z[j]
            if yi > 0:
                grad[lower] += g_b
                hess[lower][lower] += g_bb
                for j in range(d):
                    hess[j][lower] += -(g_ab + g_bb) * z[j]
            if 0 < yi < levels - 1:
                hess[lower][upper] += g_ab
        for j in range(d):
            grad[j] -= l2 * (w[j] - prior_std[j])
            hess[j][j] -= l2
        for r in range(size):
            for c in range(r):
                hess[r][c] = hess[c][r]
        step = _solve([[-v for v in row] for row in hess], grad)
        scale, improved = 1.0, False
        while scale > 1e-4:
            new_w = [w[j] + scale * step[j] for j in range(d)]
            new_theta = [theta[k] + scale * step[d + k] for k in range(levels - 1)]
            if all(a < b for a, b in zip(new_theta, new_theta[1:])):
                value = _objective(Z, y, new_w, new_theta, l2, levels, prior_std)
                if value >= current:
                    improved = value - current > 1e-9
                    w, theta, current = new_w, new_theta, value
                    break
            scale /= 2
        if not improved:
            break
    weights = [w[j] / sd[j] for j in range(d)]
    offset = sum(w[j] * mu[j] / sd[j] for j in range(d))
    return weights, [t + offset for t in theta]


def predict_level(weights: list[float], thresholds: list[float], x: list[float]) -> int:
    score = sum(a * b for a, b in zip(weights, x))
    return sum(score > t for t in thresholds)
