"""Input and output shapes of the Auth API."""
from rest_framework import serializers

from accounts.models import User

MAX_PASSWORD_LENGTH = 1024
MIN_PASSWORD_LENGTH = 8


def password_field(*, min_length: int = 1) -> serializers.CharField:
    return serializers.CharField(
        write_only=True, trim_whitespace=False, min_length=min_length, max_length=MAX_PASSWORD_LENGTH,
        style={"input_type": "password"},
    )


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    # Django's MinimumLengthValidator default; the other password validators run in the service.
    password = password_field(min_length=MIN_PASSWORD_LENGTH)


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(min_length=1, max_length=254)
    password = password_field()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(min_length=1, max_length=4096)


class UserSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email"]
        read_only_fields = fields


class MeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "date_joined", "is_staff"]
        read_only_fields = fields


class TokenPairOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class SignupOutputSerializer(TokenPairOutputSerializer):
    user = UserSummarySerializer()


class AccessTokenOutputSerializer(serializers.Serializer):
    access = serializers.CharField()
