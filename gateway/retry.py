"""Backoff policy for upstream retries: capped exponential with full jitter, honouring Retry-After."""
import random
import time
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds < 0:  # NaN or past
        return 0.0
    return seconds


def backoff_delay(attempt: int, *, base: float, cap: float, retry_after: float | None, retry_after_cap: float) -> float:
    """Delay before retry number `attempt` (1-based). A vendor's Retry-After wins, up to its cap."""
    if retry_after is not None:
        return min(retry_after, retry_after_cap)
    return random.uniform(0, min(cap, base * (2 ** (attempt - 1))))
