"""The usage log in the operator console: read-only, searchable by request id.

Filters use fixed choices (never a DISTINCT over the whole table) and the change list skips
the full count, so the page stays fast at millions of rows.
"""
from django.contrib import admin

from analytics.models import UsageRecord


class StatusClassFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status_class"
    CLASSES = {"2xx": (200, 300), "4xx": (400, 500), "5xx": (500, 600)}

    def lookups(self, request, model_admin):
        return [(name, name) for name in self.CLASSES]

    def queryset(self, request, queryset):
        if self.value() in self.CLASSES:
            low, high = self.CLASSES[self.value()]
            return queryset.filter(status__gte=low, status__lt=high)
        return queryset


class FixedChoicesFilter(admin.SimpleListFilter):
    values: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values]

    def queryset(self, request, queryset):
        if self.value() in self.values:
            return queryset.filter(**{self.parameter_name: self.value()})
        return queryset


class ProviderFilter(FixedChoicesFilter):
    title = parameter_name = "provider"
    values = ("openai", "anthropic", "google")


class ComplexityFilter(FixedChoicesFilter):
    title = parameter_name = "complexity"
    values = ("simple", "moderate", "complex", "expert")


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    list_display = (
        "created_at", "request_id", "user", "model", "provider", "complexity", "status", "cache",
        "prompt_tokens", "completion_tokens", "cost_usd", "latency_ms",
    )
    list_filter = (StatusClassFilter, ProviderFilter, ComplexityFilter, "cache", "stream")
    search_fields = ("=request_id",)
    search_help_text = "Exact request id (the x-gateway-request-id header)."
    list_select_related = ("user",)
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-created_at",)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in UsageRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
