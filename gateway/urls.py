from django.urls import path, re_path

from gateway import views

urlpatterns = [
    path("chat/completions", views.chat_completions, name="chat-completions"),
    path("models", views.models, name="models"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
