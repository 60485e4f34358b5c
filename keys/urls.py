from django.urls import path

from keys import views

app_name = "keys"

urlpatterns = [
    path("gateway", views.GatewayKeyListCreateView.as_view(), name="gateway-keys"),
    path("gateway/<str:key_id>", views.GatewayKeyDetailView.as_view(), name="gateway-key"),
    path("providers", views.ProviderKeyListCreateView.as_view(), name="provider-keys"),
    path("providers/<str:key_id>", views.ProviderKeyDetailView.as_view(), name="provider-key"),
]
