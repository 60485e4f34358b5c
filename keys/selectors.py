"""Reads of gateway keys and provider keys.

`gateway_key_for_digest` and `provider_secrets_for_user` serve the /v1 request path (blocking ORM
calls: run them off the event loop). The others serve the Keys API and the admin.
"""
from __future__ import annotations

from django.db.models import QuerySet

from keys.crypto import decrypt_secret
from keys.models import GatewayKey, ProviderKey


def gateway_keys_for_user(user) -> QuerySet[GatewayKey]:
    """The user's usable (not revoked) keys, newest first."""
    return GatewayKey.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at", "-id")


def gateway_key_for_user(*, user, key_id: int) -> GatewayKey | None:
    return gateway_keys_for_user(user).filter(pk=key_id).first()


def gateway_key_for_digest(digest: str) -> GatewayKey | None:
    """The active key with this digest, its user loaded; None if unknown, revoked or the user is inactive."""
    return (
        GatewayKey.objects.select_related("user")
        .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def provider_keys_for_user(user) -> QuerySet[ProviderKey]:
    """The user's provider keys, newest first; `encrypted_key` is deferred (callers never need it)."""
    return ProviderKey.objects.filter(user=user).defer("encrypted_key").order_by("-created_at", "-id")


def provider_key_for_user(*, user, key_id: int) -> ProviderKey | None:
    return provider_keys_for_user(user).filter(pk=key_id).first()


def providers_with_keys(user_id: int) -> set[str]:
    """Slugs of the providers the user holds a key for (no decryption)."""
    return set(ProviderKey.objects.filter(user_id=user_id).values_list("provider", flat=True).distinct())


def provider_secrets_for_user(user_id: int) -> dict[str, str]:
    """`{provider slug: decrypted key}`, the newest key per provider.

    Raises keys.crypto.SecretDecryptionError when a stored key cannot be decrypted with the
    configured ENCRYPTION_KEY (fail closed: never a ciphertext in place of a key).
    """
    newest: dict[str, str] = {}
    rows = (
        ProviderKey.objects.filter(user_id=user_id)
        .order_by("provider", "-created_at", "-id")
        .values_list("provider", "encrypted_key")
    )
    for provider, token in rows:
        if provider not in newest:
            newest[provider] = token
    return {provider: decrypt_secret(token) for provider, token in newest.items()}
