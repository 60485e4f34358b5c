"""Operations endpoints at the root, unauthenticated by design: /metrics, /healthz, /readyz."""
from django.urls import path
from django.views.decorators.http import require_GET

from analytics import health, metrics

urlpatterns = [
    path("metrics", require_GET(metrics.metrics_view), name="metrics"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
