"""The Keys API: a user's gateway keys and provider keys. Another user's id is a 404."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from keys import selectors, services
from keys.serializers import (
    GatewayKeyCreatedOutputSerializer,
    GatewayKeyCreateInputSerializer,
    GatewayKeyOutputSerializer,
    ProviderKeyCreateInputSerializer,
    ProviderKeyOutputSerializer,
)

MAX_ID = 2**63 - 1
FIELD_ERRORS = OpenApiResponse(description="Field errors")
NOT_YOURS = OpenApiResponse(description="No such key of yours")
UNAUTHENTICATED = OpenApiResponse(description="Missing, invalid or expired access token")


class JSONAPIView(APIView):
    """The Keys API speaks JSON only (CONTRACT), so the schema documents JSON bodies only."""

    parser_classes = [JSONParser]


def _found(obj):
    if obj is None:
        raise NotFound()
    return obj


def _key_id(raw: str) -> int:
    """The id from the URL; anything that is not a possible primary key is a 404, not a 500."""
    if not raw.isdecimal() or not raw.isascii() or int(raw) > MAX_ID:
        raise NotFound()
    return int(raw)


class GatewayKeyListCreateView(JSONAPIView):
    @extend_schema(responses={200: GatewayKeyOutputSerializer(many=True), 401: UNAUTHENTICATED},
                   summary="List your gateway keys")
    def get(self, request):
        keys = selectors.gateway_keys_for_user(request.user)
        return Response(GatewayKeyOutputSerializer(keys, many=True).data)

    @extend_schema(
        request=GatewayKeyCreateInputSerializer,
        responses={201: GatewayKeyCreatedOutputSerializer, 400: FIELD_ERRORS, 401: UNAUTHENTICATED},
        summary="Create a gateway key (the full key is in this answer only)",
    )
    def post(self, request):
        data = _valid(GatewayKeyCreateInputSerializer, request)
        key, raw = services.gateway_key_create(user=request.user, **data)
        body = GatewayKeyCreatedOutputSerializer(key, context={"raw_key": raw}).data
        return Response(body, status=status.HTTP_201_CREATED)


class GatewayKeyDetailView(JSONAPIView):
    @extend_schema(responses={204: None, 401: UNAUTHENTICATED, 404: NOT_YOURS}, summary="Revoke a gateway key")
    def delete(self, request, key_id: str):
        key = _found(selectors.gateway_key_for_user(user=request.user, key_id=_key_id(key_id)))
        services.gateway_key_revoke(key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProviderKeyListCreateView(JSONAPIView):
    @extend_schema(responses={200: ProviderKeyOutputSerializer(many=True), 401: UNAUTHENTICATED},
                   summary="List your provider keys (masked)")
    def get(self, request):
        keys = selectors.provider_keys_for_user(request.user)
        return Response(ProviderKeyOutputSerializer(keys, many=True).data)

    @extend_schema(
        request=ProviderKeyCreateInputSerializer,
        responses={201: ProviderKeyOutputSerializer, 400: FIELD_ERRORS, 401: UNAUTHENTICATED},
        summary="Store a provider key (encrypted at rest; only its last 4 characters are shown)",
    )
    def post(self, request):
        data = _valid(ProviderKeyCreateInputSerializer, request)
        key = services.provider_key_create(user=request.user, **data)
        return Response(ProviderKeyOutputSerializer(key).data, status=status.HTTP_201_CREATED)


class ProviderKeyDetailView(JSONAPIView):
    @extend_schema(responses={204: None, 401: UNAUTHENTICATED, 404: NOT_YOURS}, summary="Delete a provider key")
    def delete(self, request, key_id: str):
        key = _found(selectors.provider_key_for_user(user=request.user, key_id=_key_id(key_id)))
        services.provider_key_delete(key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
