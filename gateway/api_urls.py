"""/api/routing/: the routing preview and the caller's routing preferences."""
from django.urls import path

from gateway.routing_api import RoutingPreferencesView, RoutingPreviewView

urlpatterns = [
    path("preview", RoutingPreviewView.as_view(), name="routing-preview"),
    path("preferences", RoutingPreferencesView.as_view(), name="routing-preferences"),
]
