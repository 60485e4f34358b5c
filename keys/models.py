from django.conf import settings
from django.db import models


class GatewayKey(models.Model):
    """A key applications send to /v1. Only its SHA-256 digest is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gateway_keys")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="The key's first characters, for recognising it.")
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    rate_limit_rpm = models.PositiveIntegerField(
        null=True, blank=True, help_text="Requests per RATE_LIMIT_WINDOW; empty means RATE_LIMIT_REQUESTS."
    )
    tokens_per_minute = models.PositiveIntegerField(null=True, blank=True)
    monthly_budget_usd = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.masked})"

    @property
    def masked(self) -> str:
        return f"{self.prefix}…{self.last4}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ProviderKey(models.Model):
    """A user's own key for a vendor, encrypted at rest (see keys/crypto.py)."""

    class Provider(models.TextChoices):
        OPENAI = "openai", "OpenAI"
        ANTHROPIC = "anthropic", "Anthropic"
        GOOGLE = "google", "Google"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_keys")
    provider = models.CharField(max_length=20, choices=Provider.choices)
    label = models.CharField(max_length=100, blank=True)
    encrypted_key = models.TextField()
    last4 = models.CharField(max_length=4)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "provider"])]

    def __str__(self) -> str:
        return f"{self.provider} …{self.last4}"
