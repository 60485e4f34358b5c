"""Charts drawn on the server as inline SVG: no JavaScript, no network, readable when printed.

Each function takes plain numbers and labels and returns safe SVG markup sized by its viewBox
(it stretches to its container's width). Every mark carries a <title>, so hovering shows the
exact value. Labels are escaped here.
"""
from __future__ import annotations

import math
from decimal import Decimal
from typing import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6", "#64748b")
PROVIDER_COLOURS = {"openai": "#10a37f", "anthropic": "#d97757", "google": "#4285f4"}
WIDTH, HEIGHT = 640, 240
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 12, 12, 28
Number = int | float | Decimal


def colour(name: str, index: int) -> str:
    return PROVIDER_COLOURS.get(name, PALETTE[index % len(PALETTE)])


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value` (1 for 0)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude + 1e-12:
            return step * magnitude
    return 10 * magnitude


def axis_top(value: float) -> float:
    """The y axis' top: four equal, round steps (0.1, 0.25, 5, 200...) that reach `value`."""
    return 4 * nice_ceiling(value / 4)


def _svg(body: list[str], label: str, height: int = HEIGHT) -> SafeString:
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>'
    )


def _y_axis(top: float, fmt: Callable[[float], str]) -> list[str]:
    inner = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - PAD_BOTTOM - inner * i / 4
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(value))}</text>')
    return parts


def _x_labels(days: Sequence[str], x_of: Callable[[int], float]) -> list[str]:
    every = max(1, math.ceil(len(days) / 8))
    return [
        f'<text class="tick" x="{x_of(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(day[5:])}</text>'
        for i, day in enumerate(days)
        if i % every == 0
    ]


def empty_chart(message: str = "No requests in this period") -> SafeString:
    return _svg([f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">{escape(message)}</text>'],
                message)


def stacked_bars(days: Sequence[str], series: dict[str, Sequence[Number]], *, fmt: Callable[[float], str],
                 label: str) -> SafeString:
    """One bar per day, stacked by series (e.g. cost per provider)."""
    totals = [sum(float(values[i]) for values in series.values()) for i in range(len(days))]
    if not days or not any(totals):
        return empty_chart()
    top = axis_top(max(totals))
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = inner_w / len(days)
    bar = max(1.0, slot * 0.72)
    body = _y_axis(top, fmt)
    for s, (name, values) in enumerate(series.items()):
        fill = colour(name, s)
        for i, value in enumerate(values):
            below = sum(float(other[i]) for other in list(series.values())[:s])
            if not value:
                continue
            h = inner_h * float(value) / top
            y = HEIGHT - PAD_BOTTOM - inner_h * below / top - h
            x = PAD_LEFT + slot * i + (slot - bar) / 2
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{max(h, 0.5):.1f}" fill="{fill}">'
                f"<title>{escape(days[i])} · {escape(name)}: {escape(fmt(float(value)))}</title></rect>"
            )
    body += _x_labels(days, lambda i: PAD_LEFT + slot * i + slot / 2)
    return _svg(body, label)


def horizontal_bars(rows: Sequence[tuple[str, Number]], *, fmt: Callable[[float], str], label: str,
                    colours: Sequence[str] | None = None) -> SafeString:
    """One labelled bar per row (e.g. requests per model), largest first as given."""
    rows = [row for row in rows if row[1]]
    if not rows:
        return empty_chart()
    row_h, label_w, value_w = 26, 170, 70
    height = PAD_TOP + row_h * len(rows) + 4
    top = max(float(v) for _, v in rows)
    span = WIDTH - label_w - value_w - PAD_RIGHT
    body = []
    for i, (name, value) in enumerate(rows):
        y = PAD_TOP + row_h * i
        w = max(2.0, span * float(value) / top)
        fill = colours[i] if colours else PALETTE[0]
        body.append(f'<text class="label" x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(name[:26])}</text>')
        body.append(f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 9}" rx="3" '
                    f'fill="{fill}"><title>{escape(name)}: {escape(fmt(float(value)))}</title></rect>')
        body.append(f'<text class="value" x="{label_w + w + 6:.1f}" y="{y + 16}">{escape(fmt(float(value)))}</text>')
    return _svg(body, label, height)


def donut(parts: Sequence[tuple[str, Number]], *, label: str) -> SafeString:
    """Shares of a whole (e.g. the complexity mix) as a ring with a legend."""
    parts = [(name, float(v)) for name, v in parts if v]
    total = sum(v for _, v in parts)
    if not total:
        return empty_chart()
    cx, cy, r, stroke = 120, HEIGHT / 2, 80, 34
    circumference = 2 * math.pi * r
    body, offset = [], 0.0
    for i, (name, value) in enumerate(parts):
        length = circumference * value / total
        body.append(
            f'<circle class="slice" cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="{PALETTE[i % len(PALETTE)]}" '
            f'stroke-width="{stroke}" stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {cx} {cy})">'
            f"<title>{escape(name)}: {value / total:.1%}</title></circle>"
        )
        offset += length
        y = 60 + i * 28
        body.append(f'<rect x="270" y="{y - 11}" width="14" height="14" rx="3" fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(f'<text class="label" x="292" y="{y}">{escape(name)}</text>')
        body.append(f'<text class="value" x="420" y="{y}">{value / total:.1%} · {int(value):,}</text>')
    body.append(f'<text class="total" x="{cx}" y="{cy + 6}" text-anchor="middle">{int(total):,}</text>')
    return _svg(body, label)


def lines(days: Sequence[str], series: dict[str, Sequence[Number | None]], *, fmt: Callable[[float], str],
          label: str) -> SafeString:
    """One line per series over the days; a missing value breaks the line."""
    values = [float(v) for vs in series.values() for v in vs if v is not None]
    if not days or not values:
        return empty_chart()
    top = axis_top(max(values))
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(1, len(days) - 1)

    def x_of(i: int) -> float:
        return PAD_LEFT + step * i if len(days) > 1 else PAD_LEFT + inner_w / 2

    paths, dots = [], []
    for s, (name, points) in enumerate(series.items()):
        stroke = PALETTE[s % len(PALETTE)]
        path, pen_down = [], False
        for i, value in enumerate(points):
            if value is None:
                pen_down = False
                continue
            y = HEIGHT - PAD_BOTTOM - inner_h * float(value) / top
            path.append(f"{'L' if pen_down else 'M'}{x_of(i):.1f},{y:.1f}")
            pen_down = True
            dots.append(f'<circle class="dot" cx="{x_of(i):.1f}" cy="{y:.1f}" r="2.5" fill="{stroke}">'
                        f"<title>{escape(days[i])} · {escape(name)}: {escape(fmt(float(value)))}</title></circle>")
        paths.append(f'<path class="line" d="{" ".join(path)}" fill="none" stroke="{stroke}" stroke-width="2"/>')
    return _svg(_y_axis(top, fmt) + paths + dots + _x_labels(days, x_of), label)


def legend(names: Sequence[str], *, providers: bool = False) -> list[dict]:
    return [{"name": name, "colour": colour(name, i) if providers else PALETTE[i % len(PALETTE)]}
            for i, name in enumerate(names)]
