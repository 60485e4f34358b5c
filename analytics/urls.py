from django.urls import path

from analytics import views

urlpatterns = [
    path("overview", views.OverviewView.as_view(), name="analytics-overview"),
    path("cost-breakdown", views.CostBreakdownView.as_view(), name="analytics-cost-breakdown"),
    path("model-distribution", views.ModelDistributionView.as_view(), name="analytics-model-distribution"),
    path("requests", views.RequestLogView.as_view(), name="analytics-requests"),
]
