"""One handler for /api errors, always JSON, in DRF's shape.

Field errors stay `{"field": ["message"]}`, everything else is `{"detail": "..."}`. Django
`ValidationError`s raised by services become 400s in the same shape, and an unexpected exception
becomes a logged, generic JSON 500 (its message is not echoed: it could carry user input).
"""
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_error_detail(exc))
    response = exception_handler(exc, context)
    if response is not None:
        return response
    logger.exception("unhandled error in %s", context.get("view").__class__.__name__)
    return Response({"detail": "Internal server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)


def _django_error_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
