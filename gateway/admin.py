"""The registry and routing policy in the operator console.

Every save or delete here announces a registry change (gateway/services.py), so each worker
rebuilds its snapshot within a second; actions call the services.
"""
from django import forms
from django.contrib import admin, messages
from django.db import models

from gateway import services
from gateway.models import (
    PROVIDER_SLUGS,
    ClassifierConfig,
    ComplexityRule,
    LLMModel,
    ModelFallback,
    Provider,
    RoutingPreference,
    RoutingWeights,
)


class RegistryAdminMixin:
    """Announce a registry change after every admin write (form, list edit, inline, delete)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.announce_registry_change()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.announce_registry_change()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.announce_registry_change()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.announce_registry_change()


class SingletonAdminMixin:
    """One row (pk=1): no second row, no delete."""

    def has_add_permission(self, request):
        return not self.model.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["slug", "name", "enabled", "base_url", "effective_base_url"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ["enabled"]
    search_fields = ["slug", "name"]


class ModelFallbackInline(admin.TabularInline):
    model = ModelFallback
    fk_name = "model"
    fields = ["position", "fallback"]
    ordering = ["position"]
    extra = 0


@admin.register(LLMModel)
class LLMModelAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = [
        "model_id", "provider", "input_price_per_mtok", "output_price_per_mtok", "cached_input_price_per_mtok",
        "quality_score", "speed_score", "context_window", "capabilities", "enabled",
    ]
    list_filter = ["provider", "enabled", "supports_tools", "supports_vision", "supports_json_mode"]
    list_select_related = ["provider"]
    search_fields = ["model_id", "display_name"]
    inlines = [ModelFallbackInline]
    actions = ["enable", "disable"]
    fieldsets = (
        (None, {"fields": ("provider", "model_id", "display_name", "enabled")}),
        ("Prices (USD per million tokens; empty = unpriced)",
         {"fields": ("input_price_per_mtok", "output_price_per_mtok", "cached_input_price_per_mtok")}),
        ("Routing scores and limits", {"fields": ("quality_score", "speed_score", "context_window", "max_output_tokens")}),
        ("Capabilities", {"fields": ("supports_tools", "supports_vision", "supports_json_mode")}),
    )

    @admin.display(description="capabilities")
    def capabilities(self, obj):
        names = [("tools", obj.supports_tools), ("vision", obj.supports_vision), ("json", obj.supports_json_mode)]
        return ", ".join(name for name, on in names if on) or "—"

    @admin.action(description="Enable selected models")
    def enable(self, request, queryset):
        count = services.llm_models_set_enabled(models=queryset, enabled=True)
        self.message_user(request, f"Enabled {count} model(s).", messages.SUCCESS)

    @admin.action(description="Disable selected models")
    def disable(self, request, queryset):
        count = services.llm_models_set_enabled(models=queryset, enabled=False)
        self.message_user(request, f"Disabled {count} model(s).", messages.SUCCESS)


@admin.register(RoutingWeights)
class RoutingWeightsAdmin(SingletonAdminMixin, RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "cost", "quality", "speed", "updated_at"]
    fields = ["cost", "quality", "speed"]


class ClassifierConfigForm(forms.ModelForm):
    class Meta:
        model = ClassifierConfig
        fields = ["thresholds", "keywords"]

    def clean_thresholds(self):
        services.validate_classifier_thresholds(self.cleaned_data["thresholds"])
        return self.cleaned_data["thresholds"]

    def clean_keywords(self):
        services.validate_classifier_keywords(self.cleaned_data["keywords"])
        return self.cleaned_data["keywords"]


@admin.register(ClassifierConfig)
class ClassifierConfigAdmin(SingletonAdminMixin, RegistryAdminMixin, admin.ModelAdmin):
    form = ClassifierConfigForm
    list_display = ["__str__", "updated_at"]


@admin.register(ComplexityRule)
class ComplexityRuleAdmin(RegistryAdminMixin, admin.ModelAdmin):
    list_display = ["complexity", "min_quality"]
    list_editable = ["min_quality"]


class RoutingPreferenceForm(forms.ModelForm):
    class Meta:
        model = RoutingPreference
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        for field in ("allowed_providers", "blocked_providers", "allowed_models", "blocked_models"):
            value = cleaned.get(field)
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                self.add_error(field, "A list of names, e.g. [\"openai\"].")
            elif field.endswith("providers") and set(value) - {slug for slug, _ in PROVIDER_SLUGS}:
                self.add_error(field, "Unknown provider; use openai, anthropic or google.")
        return cleaned


@admin.register(RoutingPreference)
class RoutingPreferenceAdmin(RegistryAdminMixin, admin.ModelAdmin):
    form = RoutingPreferenceForm
    list_display = ["user", "allowed_providers", "blocked_providers", "max_price_per_mtok", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]

