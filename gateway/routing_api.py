"""The routing API: preview a routing decision, and read or change your routing preferences.

The preview goes through gateway.decision.decide, the same function /v1/chat/completions uses,
with the caller's provider keys and preferences: what it answers is what /v1 would try.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from gateway.decision import decide
from gateway.errors import ModelNotFoundError
from gateway.preferences import Preferences, load_preferences, preference_save, preference_values
from gateway.registry import ModelInfo, get_snapshot_sync
from gateway.routing import TYPICAL_COMPLETION_TOKENS, NoEligibleModelError, estimate_cost
from gateway.routing_serializers import (
    RoutingPreferenceInputSerializer,
    RoutingPreferenceOutputSerializer,
    RoutingPreviewInputSerializer,
    RoutingPreviewOutputSerializer,
)
from keys.selectors import providers_with_keys


UNAUTHENTICATED = OpenApiResponse(description="Missing, invalid or expired access token")
PREFERENCE_WRITE_RESPONSES = {
    200: RoutingPreferenceOutputSerializer,
    400: OpenApiResponse(description="Invalid preferences (field errors)"),
    401: UNAUTHENTICATED,
}


class NoEligibleModel(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "no_eligible_model"


def _model_ref(model: ModelInfo | None) -> dict | None:
    if model is None:
        return None
    return {
        "model_id": model.model_id, "provider": model.provider, "display_name": model.display_name,
        "quality": model.quality, "speed": model.speed,
    }


def routing_preview(*, body: dict, user_id: int) -> dict:
    """The whole decision /v1 would take for this body and user, without calling a provider."""
    snapshot = get_snapshot_sync()
    decision = decide(
        body,
        snapshot=snapshot,
        available_providers=frozenset(providers_with_keys(user_id)),
        preferences=load_preferences(user_id),
        max_fallbacks=getattr(settings, "MAX_FALLBACKS", 3),
    )
    classification, route = decision.classification, decision.route
    chosen = decision.models[0]
    features = classification.features
    completion = features["requested_output_tokens"] or TYPICAL_COMPLETION_TOKENS[classification.level]
    prompt = features["estimated_prompt_tokens"]
    baseline = decision.baseline
    return {
        "model_requested": body["model"],
        "complexity": classification.level,
        "score": classification.score,
        "features": classification.features,
        "classification_reasons": list(classification.reasons),
        "chosen": _model_ref(chosen),
        "fallbacks": [_model_ref(m) for m in decision.models[1:]],
        "attempt_order": [m.model_id for m in decision.models],
        "candidates": [vars(c) for c in route.candidates] if route else [],
        "excluded": [{"model_id": m, "reason": r} for m, r in route.excluded] if route else [],
        "baseline": _model_ref(baseline),
        "estimated_cost_usd": estimate_cost(chosen, prompt, completion),
        "baseline_cost_usd": estimate_cost(baseline, prompt, completion) if baseline else None,
        "routing_reasons": list(route.reasons) if route else [f"model {chosen.model_id} named in the request"],
        "weights": vars(route.weights) if route else None,
        "min_quality": route.min_quality if route else None,
    }


class RoutingPreviewView(APIView):
    @extend_schema(
        request=RoutingPreviewInputSerializer,
        responses={
            200: RoutingPreviewOutputSerializer,
            400: OpenApiResponse(description="Invalid body, unknown model or no eligible model"),
            401: UNAUTHENTICATED,
        },
        summary="Preview the routing decision for a chat completions body (no provider is called)",
    )
    def post(self, request):
        serializer = RoutingPreviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payload = routing_preview(body=serializer.validated_data, user_id=request.user.id)
        except ModelNotFoundError as exc:
            raise ValidationError({"model": [exc.message]}) from None
        except NoEligibleModelError as exc:
            raise NoEligibleModel(exc.message) from None
        return Response(RoutingPreviewOutputSerializer(payload).data)


def _preferences_payload(user_id: int, values: dict) -> dict:
    snapshot = get_snapshot_sync()
    weights = {name: values[name] for name in ("cost_weight", "quality_weight", "speed_weight")}
    prefs = Preferences(**{name: None if value is None else float(value) for name, value in weights.items()})
    return {**values, "effective_weights": vars(prefs.weights_over(snapshot.weights))}


class RoutingPreferencesView(APIView):
    @extend_schema(
        responses={200: RoutingPreferenceOutputSerializer, 401: UNAUTHENTICATED},
        summary="Your routing preferences for model auto",
    )
    def get(self, request):
        values = preference_values(request.user.id)
        return Response(RoutingPreferenceOutputSerializer(_preferences_payload(request.user.id, values)).data)

    @extend_schema(
        request=RoutingPreferenceInputSerializer, responses=PREFERENCE_WRITE_RESPONSES,
        summary="Replace your routing preferences (left-out fields reset)",
    )
    def put(self, request):
        return self._save(request, partial=False)

    @extend_schema(
        request=RoutingPreferenceInputSerializer, responses=PREFERENCE_WRITE_RESPONSES,
        summary="Change some of your routing preferences",
    )
    def patch(self, request):
        return self._save(request, partial=True)

    def _save(self, request, *, partial: bool):
        current = preference_values(request.user.id)
        serializer = RoutingPreferenceInputSerializer(current, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = preference_save(user_id=request.user.id, values=serializer.validated_data)
        return Response(RoutingPreferenceOutputSerializer(_preferences_payload(request.user.id, values)).data)
