"""Errors of the /v1 API, in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.

Each class carries its status, type and code; `GatewayError.to_body()` renders it, and the views
turn any GatewayError into a JSON response. Messages never echo vendor bodies or secrets.
"""
from __future__ import annotations


class GatewayError(Exception):
    status = 500
    type = "server_error"
    code = "internal_error"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if code:
            self.code = code
        self.headers = headers or {}

    def to_body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class InvalidRequestError(GatewayError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_request"


class AuthenticationError(GatewayError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDeniedError(GatewayError):
    status = 403
    type = "permission_error"
    code = "permission_denied"


class ModelNotFoundError(GatewayError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class PayloadTooLargeError(GatewayError):
    status = 413
    type = "invalid_request_error"
    code = "request_too_large"


class RateLimitedError(GatewayError):
    """429 with Retry-After (whole seconds, at least 1)."""

    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None):
        seconds = max(1, int(retry_after + 0.999))
        super().__init__(message, code=code, headers={"Retry-After": str(seconds)})
        self.retry_after = seconds


class UpstreamError(GatewayError):
    """A provider answered in a way we cannot pass on (malformed body, unexpected shape)."""

    status = 502
    type = "api_error"
    code = "bad_upstream_response"


class AllProvidersFailedError(GatewayError):
    status = 503
    type = "api_error"
    code = "all_providers_failed"
