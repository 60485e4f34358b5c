"""Number formats of the analytics pages: money, shares, counts, durations."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def usd(value) -> str:
    """$1,234.57 from a dollar up; four significant digits below ($0.5083, $0.0042); — for None."""
    if value is None or value == "":
        return "—"
    amount = Decimal(value)
    if amount == 0:
        return "$0.00"
    if abs(amount) >= 1:
        return f"${amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}"
    places = min(8, 3 - amount.adjusted())  # four significant digits
    return f"${amount.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP).normalize():f}"


@register.filter
def usd_exact(value) -> str:
    return "—" if value is None else f"${Decimal(value):f}"


@register.filter
def pct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.1f}%"


@register.filter
def count(value) -> str:
    return "—" if value is None else f"{int(value):,}"


@register.filter
def compact(value) -> str:
    """12.3M, 45.6k, 789."""
    if value is None:
        return "—"
    number = int(value)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(number) >= size:
            scaled = number / size
            return f"{scaled:.0f}{suffix}" if abs(scaled) >= 100 else f"{scaled:.1f}{suffix}"
    return str(number)


@register.filter
def ms(value) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"
