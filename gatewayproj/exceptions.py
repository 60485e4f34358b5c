"""One handler for /api errors: DRF's shape (`{"field": ["message"]}` or `{"detail": ...}`)."""
from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    return exception_handler(exc, context)
