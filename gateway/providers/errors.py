"""Turning vendor failures into `ProviderError`, shared by the adapters.

Messages are ours, never the vendor's text: a vendor body may quote the prompt or carry
account details. Only the vendor's error type/code survives, and only when it is a short
identifier (`rate_limit_error`, `RESOURCE_EXHAUSTED`, `insufficient_quota`).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import orjson

from gateway.providers.base import RETRYABLE_STATUSES, ProviderError, bad_upstream_response
from gateway.retry import parse_retry_after

# Letters and underscores only: vendor codes look like `rate_limit_error` or `RESOURCE_EXHAUSTED`,
# and a vendor that echoes a key (`sk-...`, digits, dashes) into its code must not get it through.
_IDENTIFIER = re.compile(r"[A-Za-z_]{1,64}")


def decode_json(payload: bytes | str) -> Any:
    try:
        return orjson.loads(payload)
    except (orjson.JSONDecodeError, TypeError):
        raise bad_upstream_response() from None


def invalid_request(message: str, *, code: str = "invalid_request") -> ProviderError:
    """The client's request cannot be expressed for this vendor (400, not retried)."""
    return ProviderError(message, status=400, code=code, is_retryable=False)


def unsupported_parameter(name: str, vendor: str) -> ProviderError:
    return invalid_request(f"'{name}' is not supported by {vendor} models.", code="unsupported_parameter")


def vendor_code(value: Any) -> str | None:
    """The vendor's error type/code when it is a short identifier, else None."""
    if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
        return value
    return None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts as well as httpx.Headers."""
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    milliseconds = header(headers, "retry-after-ms")
    if milliseconds:
        try:
            value = float(milliseconds) / 1000
        except ValueError:
            value = None
        if value is not None and value == value and value >= 0:
            return value
    return parse_retry_after(header(headers, "retry-after"))


def status_error(
    vendor: str,
    status: int,
    *,
    code: str | None,
    retry_after: float | None = None,
    is_retryable: bool | None = None,
) -> ProviderError:
    """A ProviderError for a vendor HTTP failure; retryable per RETRYABLE_STATUSES unless told."""
    if is_retryable is None:
        is_retryable = status in RETRYABLE_STATUSES or status >= 500
    message = f"{vendor} answered HTTP {status}" + (f" ({code})." if code else ".")
    return ProviderError(
        message,
        status=status,
        code=code or f"upstream_http_{status}",
        is_retryable=is_retryable,
        retry_after=retry_after,
    )
