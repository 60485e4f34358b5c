from email.utils import format_datetime
from datetime import datetime, timezone

from gateway.retry import backoff_delay, parse_retry_after


def test_retry_after_in_seconds():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(" 1.5 ") == 1.5


def test_retry_after_as_an_http_date():
    when = datetime(2030, 1, 1, 0, 0, 10, tzinfo=timezone.utc)
    now = datetime(2030, 1, 1, 0, 0, 0, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after(format_datetime(when, usegmt=True), now=now) == 10.0


def test_retry_after_in_the_past_means_now_and_garbage_means_absent():
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_a_vendor_retry_after_wins_up_to_the_cap():
    assert backoff_delay(1, base=0.1, cap=1, retry_after=2.0, retry_after_cap=5) == 2.0
    assert backoff_delay(1, base=0.1, cap=1, retry_after=60.0, retry_after_cap=5) == 5


def test_backoff_grows_exponentially_within_its_cap():
    for attempt in range(1, 8):
        delay = backoff_delay(attempt, base=0.25, cap=2.0, retry_after=None, retry_after_cap=5)
        assert 0 <= delay <= min(2.0, 0.25 * 2 ** (attempt - 1))
