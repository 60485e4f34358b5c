"""Input and output shapes of the Keys API. Output serializers never name a secret field."""
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from rest_framework import serializers

from keys.models import GatewayKey, ProviderKey
from keys.services import PROVIDER_KEY_MAX_LENGTH, PROVIDER_KEY_MIN_LENGTH, validate_provider_key

MAX_RATE_LIMIT_RPM = 1_000_000
MAX_TOKENS_PER_MINUTE = 2_000_000_000
PRINTABLE_ASCII_ONLY = "The key must be printable ASCII, without spaces or control characters."


class GatewayKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(min_length=1, max_length=100)
    rate_limit_rpm = serializers.IntegerField(
        min_value=1, max_value=MAX_RATE_LIMIT_RPM, required=False, allow_null=True, default=None
    )
    tokens_per_minute = serializers.IntegerField(
        min_value=1, max_value=MAX_TOKENS_PER_MINUTE, required=False, allow_null=True, default=None
    )
    monthly_budget_usd = serializers.DecimalField(
        max_digits=12, decimal_places=4, min_value=Decimal("0"), required=False, allow_null=True, default=None
    )


class GatewayKeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = GatewayKey
        fields = [
            "id", "name", "prefix", "last4", "created_at", "last_used_at",
            "rate_limit_rpm", "tokens_per_minute", "monthly_budget_usd",
        ]
        read_only_fields = fields


class GatewayKeyCreatedOutputSerializer(GatewayKeyOutputSerializer):
    """Pass the raw key as `context["raw_key"]`."""

    key = serializers.SerializerMethodField(help_text="The full key. Shown this once only.")

    class Meta(GatewayKeyOutputSerializer.Meta):
        fields = GatewayKeyOutputSerializer.Meta.fields + ["key"]
        read_only_fields = fields

    def get_key(self, obj) -> str:
        return self.context["raw_key"]


class ProviderKeyCreateInputSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=ProviderKey.Provider.choices)
    key = serializers.CharField(
        min_length=PROVIDER_KEY_MIN_LENGTH, max_length=PROVIDER_KEY_MAX_LENGTH, write_only=True,
        style={"input_type": "password"},
        # Documents validate_provider_key's rule in the schema; the message never echoes the key.
        validators=[RegexValidator(r"^[!-~]+$", PRINTABLE_ASCII_ONLY)],
    )
    label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    def validate_key(self, value: str) -> str:
        try:
            validate_provider_key(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return value


class ProviderKeyOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProviderKey
        fields = ["id", "provider", "label", "last4", "created_at"]
        read_only_fields = fields
