"""Input and output shapes of the routing API (/api/routing/)."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from rest_framework import serializers

from gateway.errors import InvalidRequestError
from gateway.models import PROVIDER_SLUGS, LLMModel
from gateway.validation import check_depth, validate_chat_request

PROVIDERS = [slug for slug, _ in PROVIDER_SLUGS]
MAX_LISTED_MODELS = 200
WEIGHT_NAMES = ("cost_weight", "quality_weight", "speed_weight")


class RoutingPreviewInputSerializer(serializers.Serializer):
    """A Chat Completions body, checked exactly as /v1/chat/completions checks it.

    `model` may be left out: it defaults to "auto". Unlisted fields are accepted as in /v1."""

    model = serializers.CharField(required=False, default="auto", help_text='"auto" or a registry model id.')
    messages = serializers.ListField(child=serializers.DictField(), help_text="OpenAI chat messages.")
    tools = serializers.ListField(child=serializers.DictField(), required=False)
    response_format = serializers.DictField(required=False)
    max_tokens = serializers.IntegerField(required=False)
    max_completion_tokens = serializers.IntegerField(required=False)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["The body must be a JSON object: a chat completions request."]})
        body = dict(data)
        body.setdefault("model", "auto")
        try:
            check_depth(body, settings.GATEWAY_MAX_JSON_DEPTH)
            validate_chat_request(body)
        except InvalidRequestError as exc:
            raise serializers.ValidationError({exc.param or "non_field_errors": [exc.message]}) from None
        return body


class ModelRefSerializer(serializers.Serializer):
    model_id = serializers.CharField()
    provider = serializers.CharField()
    display_name = serializers.CharField()
    quality = serializers.IntegerField()
    speed = serializers.IntegerField()


class CandidateSerializer(serializers.Serializer):
    model_id = serializers.CharField()
    provider = serializers.CharField()
    cost_score = serializers.FloatField()
    quality_score = serializers.FloatField()
    speed_score = serializers.FloatField()
    total = serializers.FloatField()
    estimated_cost_usd = serializers.DecimalField(max_digits=20, decimal_places=10, allow_null=True)


class ExcludedSerializer(serializers.Serializer):
    model_id = serializers.CharField()
    reason = serializers.CharField()


class WeightsSerializer(serializers.Serializer):
    cost = serializers.FloatField()
    quality = serializers.FloatField()
    speed = serializers.FloatField()


class RoutingPreviewOutputSerializer(serializers.Serializer):
    model_requested = serializers.CharField()
    complexity = serializers.ChoiceField(choices=["simple", "moderate", "complex", "expert"])
    score = serializers.FloatField(help_text="The classifier's score; the level's cut-points are in the reasons.")
    features = serializers.DictField(help_text="The features the classifier extracted.")
    classification_reasons = serializers.ListField(child=serializers.CharField())
    chosen = ModelRefSerializer()
    fallbacks = ModelRefSerializer(many=True, help_text="Tried in this order when the chosen model fails.")
    attempt_order = serializers.ListField(child=serializers.CharField(), help_text="What /v1 would try, in order.")
    candidates = CandidateSerializer(many=True, help_text="Scored models, best first (auto only).")
    excluded = ExcludedSerializer(many=True, help_text="Models left out, and why (auto only).")
    baseline = ModelRefSerializer(allow_null=True, help_text="The most expensive eligible model (the saving's reference).")
    estimated_cost_usd = serializers.DecimalField(max_digits=20, decimal_places=10, allow_null=True)
    baseline_cost_usd = serializers.DecimalField(max_digits=20, decimal_places=10, allow_null=True)
    routing_reasons = serializers.ListField(child=serializers.CharField())
    weights = WeightsSerializer(allow_null=True)
    min_quality = serializers.IntegerField(allow_null=True)


def _unique(values: list) -> list:
    return list(dict.fromkeys(values))


class RoutingPreferenceInputSerializer(serializers.Serializer):
    """PUT replaces every field (left-out ones reset); PATCH changes the given ones."""

    allowed_providers = serializers.ListField(child=serializers.ChoiceField(choices=PROVIDERS), max_length=3, default=list)
    blocked_providers = serializers.ListField(child=serializers.ChoiceField(choices=PROVIDERS), max_length=3, default=list)
    allowed_models = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=MAX_LISTED_MODELS, default=list
    )
    blocked_models = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=MAX_LISTED_MODELS, default=list
    )
    cost_weight = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=Decimal(0), max_value=Decimal(1), allow_null=True, default=None
    )
    quality_weight = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=Decimal(0), max_value=Decimal(1), allow_null=True, default=None
    )
    speed_weight = serializers.DecimalField(
        max_digits=4, decimal_places=3, min_value=Decimal(0), max_value=Decimal(1), allow_null=True, default=None
    )
    max_price_per_mtok = serializers.DecimalField(
        max_digits=10, decimal_places=4, min_value=Decimal(0), allow_null=True, default=None,
        help_text="Ceiling on a model's output price, USD per million tokens.",
    )

    def validate_allowed_providers(self, value):
        return _unique(value)

    def validate_blocked_providers(self, value):
        return _unique(value)

    def _known_models(self, value):
        value = _unique(value)
        known = set(LLMModel.objects.filter(model_id__in=value).values_list("model_id", flat=True))
        unknown = [m for m in value if m not in known]
        if unknown:
            raise serializers.ValidationError(f"Unknown model ids: {', '.join(sorted(unknown)[:10])}.")
        return value

    def validate_allowed_models(self, value):
        return self._known_models(value)

    def validate_blocked_models(self, value):
        return self._known_models(value)

    def validate(self, attrs):
        current = dict(self.instance or {}) if self.partial else {}
        merged = {**current, **attrs}
        for kind in ("providers", "models"):
            both = set(merged.get(f"allowed_{kind}") or ()) & set(merged.get(f"blocked_{kind}") or ())
            if both:
                raise serializers.ValidationError(
                    {f"blocked_{kind}": [f"Both allowed and blocked: {', '.join(sorted(both))}."]}
                )
        weights = [merged.get(name) for name in WEIGHT_NAMES]
        if all(w is not None for w in weights) and abs(sum(weights) - Decimal(1)) > Decimal("0.001"):
            raise serializers.ValidationError({"non_field_errors": ["When all three weights are set they must sum to 1."]})
        return attrs


class RoutingPreferenceOutputSerializer(RoutingPreferenceInputSerializer):
    effective_weights = WeightsSerializer(read_only=True, help_text="Your weights over the operator's, as routing uses them.")
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
