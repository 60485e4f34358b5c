"""The Auth API: sign-up, login, refresh, logout, me. Each view parses, calls a service, answers."""
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    AccessTokenOutputSerializer,
    LoginInputSerializer,
    MeOutputSerializer,
    RefreshInputSerializer,
    SignupInputSerializer,
    SignupOutputSerializer,
    TokenPairOutputSerializer,
)

FIELD_ERRORS = OpenApiResponse(description="Field errors: `{\"field\": [\"message\"]}`")
UNAUTHENTICATED = OpenApiResponse(description="Missing, invalid or expired access token")


class CredentialsInBody(BaseAuthentication):
    """Reads no header (a stale Authorization header must not block sign-up or login), but names
    the Bearer scheme so a failed login is a 401 with WWW-Authenticate rather than a 403."""

    def authenticate(self, request):
        return None

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class JSONAPIView(APIView):
    """The Auth API speaks JSON only (CONTRACT), so the schema documents JSON bodies only."""

    parser_classes = [JSONParser]


class PublicAPIView(JSONAPIView):
    authentication_classes = [CredentialsInBody]
    permission_classes = [AllowAny]


class SignupView(PublicAPIView):
    @extend_schema(auth=[], request=SignupInputSerializer, responses={201: SignupOutputSerializer, 400: FIELD_ERRORS},
                   summary="Create an account and get a token pair")
    def post(self, request):
        data = _valid(SignupInputSerializer, request)
        user = services.user_create(email=data["email"], password=data["password"])
        tokens = services.token_pair_for_user(user)
        body = {"user": user, "access": tokens.access, "refresh": tokens.refresh}
        return Response(SignupOutputSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(PublicAPIView):
    @extend_schema(auth=[], request=LoginInputSerializer,
                   responses={200: TokenPairOutputSerializer, 400: FIELD_ERRORS,
                              401: OpenApiResponse(description="Bad credentials")},
                   summary="Exchange email and password for a token pair")
    def post(self, request):
        data = _valid(LoginInputSerializer, request)
        try:
            tokens = services.user_login(email=data["email"], password=data["password"])
        except services.InvalidCredentialsError:
            raise AuthenticationFailed("No active account with this email and password.") from None
        return Response(TokenPairOutputSerializer(tokens).data)


class RefreshView(PublicAPIView):
    @extend_schema(auth=[], request=RefreshInputSerializer,
                   responses={200: AccessTokenOutputSerializer, 400: FIELD_ERRORS,
                              401: OpenApiResponse(description="Invalid, expired or revoked refresh token")},
                   summary="Get a new access token")
    def post(self, request):
        data = _valid(RefreshInputSerializer, request)
        try:
            access = services.access_token_refresh(refresh=data["refresh"])
        except services.InvalidRefreshTokenError:
            raise AuthenticationFailed("The refresh token is invalid, expired or revoked.") from None
        return Response(AccessTokenOutputSerializer({"access": access}).data)


class LogoutView(JSONAPIView):
    @extend_schema(request=RefreshInputSerializer, responses={205: None, 400: FIELD_ERRORS, 401: UNAUTHENTICATED},
                   summary="Blacklist a refresh token")
    def post(self, request):
        data = _valid(RefreshInputSerializer, request)
        services.refresh_token_blacklist(user=request.user, refresh=data["refresh"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeView(JSONAPIView):
    @extend_schema(responses={200: MeOutputSerializer, 401: UNAUTHENTICATED}, summary="The signed-in user")
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
