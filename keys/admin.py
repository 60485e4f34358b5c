"""Keys in the operator console, masked everywhere.

Gateway keys show `prefix…last4`, never the digest; they are created by users (the raw key is
shown once, to them) and revoked here through the service. Provider keys show provider, label and
last 4 only; `encrypted_key` is excluded from every form, and adding one takes a password input
that goes straight to `provider_key_create`.
"""
from django import forms
from django.contrib import admin, messages

from keys import services
from keys.hashing import KEY_PREFIX, digest_gateway_key
from keys.models import GatewayKey, ProviderKey

EDITABLE_GATEWAY_KEY_FIELDS = ["name", "rate_limit_rpm", "tokens_per_minute", "monthly_budget_usd"]


class RevokedFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "Active"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(GatewayKey)
class GatewayKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "masked_key", "is_active", "created_at", "last_used_at",
                    "rate_limit_rpm", "tokens_per_minute", "monthly_budget_usd"]
    list_filter = [RevokedFilter, "created_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__email", "prefix"]
    fields = ["user", "masked_key", *EDITABLE_GATEWAY_KEY_FIELDS, "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "masked_key", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="key")
    def masked_key(self, obj):
        return obj.masked

    @admin.display(boolean=True, description="active")
    def is_active(self, obj):
        return obj.is_active

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        """A pasted full key finds its row (by digest) without the digest ever being shown."""
        term = search_term.strip()
        if term.startswith(KEY_PREFIX) and len(term) > 20:
            return queryset.filter(digest=digest_gateway_key(term)), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request, obj, form, change):
        changes = {field: getattr(obj, field) for field in form.changed_data if field in EDITABLE_GATEWAY_KEY_FIELDS}
        services.gateway_key_update(key=obj, **changes)

    @admin.action(description="Revoke selected keys (they stop working at once)")
    def revoke(self, request, queryset):
        for key in queryset:
            services.gateway_key_revoke(key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).", messages.SUCCESS)


class ProviderKeyAddForm(forms.ModelForm):
    key = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        strip=True,
        max_length=services.PROVIDER_KEY_MAX_LENGTH,
        help_text="Stored encrypted; only its last 4 characters are ever shown again.",
    )

    class Meta:
        model = ProviderKey
        fields = ["user", "provider", "label"]

    def clean_key(self):
        services.validate_provider_key(self.cleaned_data["key"])
        return self.cleaned_data["key"]


@admin.register(ProviderKey)
class ProviderKeyAdmin(admin.ModelAdmin):
    list_display = ["provider", "label", "masked_key", "user", "created_at"]
    list_filter = ["provider", "created_at"]
    list_select_related = ["user"]
    search_fields = ["label", "user__email"]
    exclude = ["encrypted_key"]
    raw_id_fields = ["user"]

    @admin.display(description="key")
    def masked_key(self, obj):
        return f"…{obj.last4}"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("encrypted_key")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ProviderKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "provider", "label", "key"]
        return ["user", "provider", "label", "masked_key", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "provider", "label", "masked_key", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        row = services.provider_key_create(
            user=obj.user, provider=obj.provider, key=form.cleaned_data["key"], label=obj.label
        )
        obj.pk, obj.last4, obj.created_at = row.pk, row.last4, row.created_at

    def delete_model(self, request, obj):
        services.provider_key_delete(key=obj)

    def delete_queryset(self, request, queryset):
        for key in queryset:
            services.provider_key_delete(key=key)
