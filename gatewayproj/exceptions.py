"""One handler for /api errors, always JSON, in DRF's shape.

Field errors stay `{"field": ["message"]}`, everything else is `{"detail": "..."}`. Django
`ValidationError`s raised by services become 400s in the same shape; a body over
DATA_UPLOAD_MAX_MEMORY_SIZE is a 413; JSON nested past Python's recursion limit and Django's
other bad-request errors are a 400. Anything else becomes a logged, generic JSON 500 (its
message is not echoed: it could carry user input).
"""
import logging

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class RequestTooLargeError(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def api_exception_handler(exc, context):
    response = exception_handler(_as_api_exception(exc), context)
    if response is not None:
        return response
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return Response({"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_django_error_detail(exc))
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLargeError()
    # The JSON parser recurses once per nesting level; only a hostile body gets this deep.
    if isinstance(exc, RecursionError):
        return exceptions.ParseError("The request body is nested too deeply.")
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        return exceptions.ParseError("The request could not be read.")
    return exc


def _django_error_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
