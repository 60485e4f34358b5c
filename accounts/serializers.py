"""Input and output shapes of the Auth API."""
from rest_framework import serializers

from accounts.models import User

MAX_PASSWORD_LENGTH = 1024


def password_field() -> serializers.CharField:
    return serializers.CharField(
        write_only=True, trim_whitespace=False, max_length=MAX_PASSWORD_LENGTH, style={"input_type": "password"}
    )


class SignupInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = password_field()


class LoginInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = password_field()


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


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
