from django.contrib.auth import views as auth_views
from django.urls import path

from analytics import pages

app_name = "analytics"

urlpatterns = [
    path("", pages.overview_page, name="overview"),
    path("requests/", pages.request_log_page, name="requests"),
    path("requests/<str:request_id>/", pages.request_detail_page, name="request-detail"),
    path("keys/", pages.keys_page, name="keys"),
    path("keys/gateway/", pages.gateway_key_create_page, name="gateway-key-create"),
    path("keys/gateway/<int:key_id>/revoke/", pages.gateway_key_revoke_page, name="gateway-key-revoke"),
    path("keys/providers/", pages.provider_key_create_page, name="provider-key-create"),
    path("keys/providers/<int:key_id>/delete/", pages.provider_key_delete_page, name="provider-key-delete"),
    path("login/", auth_views.LoginView.as_view(template_name="analytics/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="analytics:login"), name="logout"),
]
