"""Account writes: sign-up, JWT issue/refresh/logout, activation and deletion.

Tokens come from djangorestframework-simplejwt. A refresh is refused for a deactivated or deleted
user, and `JWTAuthentication` re-reads `is_active` on every request, so deactivating a user stops
their access tokens at once too.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User
from keys import events as key_events

EMAIL_TAKEN = "An account with this email already exists."


class InvalidCredentialsError(Exception):
    """Email and password do not match an active account."""


class InvalidRefreshTokenError(Exception):
    """The refresh token is malformed, expired, blacklisted or its user cannot log in."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def user_create(*, email: str, password: str) -> User:
    """Create an account; raises ValidationError on a taken email or a weak password."""
    email = normalize_email(email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    try:
        validate_password(password, user=User(email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password)
    except IntegrityError:  # a concurrent sign-up with the same email won the race
        raise ValidationError({"email": EMAIL_TAKEN}) from None


def token_pair_for_user(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def user_login(*, email: str, password: str) -> TokenPair:
    user = authenticate(email=normalize_email(email), password=password)
    if user is None:
        raise InvalidCredentialsError()
    return token_pair_for_user(user)


def access_token_refresh(*, refresh: str) -> str:
    token = _valid_refresh_token(refresh)
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise InvalidRefreshTokenError()
    return str(token.access_token)


def refresh_token_blacklist(*, user: User, refresh: str) -> None:
    """Log out: blacklist one of `user`'s refresh tokens (ValidationError if it is not theirs)."""
    try:
        token = _valid_refresh_token(refresh)
    except InvalidRefreshTokenError:
        raise ValidationError({"refresh": "The refresh token is invalid, expired or already revoked."}) from None
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise ValidationError({"refresh": "The refresh token does not belong to you."})
    token.blacklist()


def user_set_active(*, user: User, is_active: bool) -> User:
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    _announce_keys_changed(user.pk, user.gateway_keys.values_list("digest", flat=True))
    return user


def user_delete(*, user: User) -> None:
    user_id, digests = user.pk, list(user.gateway_keys.values_list("digest", flat=True))
    user.delete()
    _announce_keys_changed(user_id, digests)


def _announce_keys_changed(user_id: int, digests) -> None:
    for digest in digests:
        key_events.key_changed(digest)
    key_events.user_keys_changed(user_id)


def _valid_refresh_token(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError:
        raise InvalidRefreshTokenError() from None
