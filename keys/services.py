"""Writes of gateway keys and provider keys.

Gateway keys: only the SHA-256 digest, a display prefix and the last 4 characters are stored; the
raw key is returned once by `gateway_key_create`. Provider keys: encrypted with keys/crypto.py.
Every change that the request path may have cached is announced through keys/events.py.
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from keys import events
from keys.crypto import encrypt_secret, reencrypt_secret
from keys.hashing import digest_gateway_key, display_prefix, generate_gateway_key
from keys.models import GatewayKey, ProviderKey

PROVIDER_KEY_MIN_LENGTH = 8
PROVIDER_KEY_MAX_LENGTH = 512
_UNSET = object()


def gateway_key_create(
    *,
    user,
    name: str,
    rate_limit_rpm: int | None = None,
    tokens_per_minute: int | None = None,
    monthly_budget_usd: Decimal | None = None,
) -> tuple[GatewayKey, str]:
    """Create a key for `user`; returns the row and the raw key (shown to the user once)."""
    raw = generate_gateway_key()
    key = GatewayKey.objects.create(
        user=user,
        name=name,
        digest=digest_gateway_key(raw),
        prefix=display_prefix(raw),
        last4=raw[-4:],
        rate_limit_rpm=rate_limit_rpm,
        tokens_per_minute=tokens_per_minute,
        monthly_budget_usd=monthly_budget_usd,
    )
    return key, raw


def gateway_key_revoke(*, key: GatewayKey) -> GatewayKey:
    """Revoke at once: sets `revoked_at` (kept for the usage history) and drops cached copies."""
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
        events.key_changed(key.digest)
    return key


def gateway_key_update(
    *,
    key: GatewayKey,
    name=_UNSET,
    rate_limit_rpm=_UNSET,
    tokens_per_minute=_UNSET,
    monthly_budget_usd=_UNSET,
) -> GatewayKey:
    """Change a key's name or limits; a field left out keeps its value, None clears a limit."""
    changes = {
        "name": name,
        "rate_limit_rpm": rate_limit_rpm,
        "tokens_per_minute": tokens_per_minute,
        "monthly_budget_usd": monthly_budget_usd,
    }
    changed = [field for field, value in changes.items() if value is not _UNSET]
    for field in changed:
        setattr(key, field, changes[field])
    if changed:
        with transaction.atomic():
            key.save(update_fields=changed)
            events.key_changed(key.digest)
    return key


def validate_provider_key(raw: str) -> None:
    """Loose format check of a vendor key. Messages never echo the key."""
    if not isinstance(raw, str) or not raw:
        raise ValidationError("The key must not be empty.")
    if len(raw) < PROVIDER_KEY_MIN_LENGTH:
        raise ValidationError(f"The key is too short (at least {PROVIDER_KEY_MIN_LENGTH} characters).")
    if len(raw) > PROVIDER_KEY_MAX_LENGTH:
        raise ValidationError(f"The key is too long (at most {PROVIDER_KEY_MAX_LENGTH} characters).")
    # Vendor keys travel in HTTP headers: printable ASCII only, no spaces or control characters.
    if not all("!" <= ch <= "~" for ch in raw):
        raise ValidationError("The key must be printable ASCII, without spaces or control characters.")


def provider_key_create(*, user, provider: str, key: str, label: str = "") -> ProviderKey:
    if provider not in ProviderKey.Provider.values:
        raise ValidationError({"provider": f"Unknown provider; use one of {', '.join(ProviderKey.Provider.values)}."})
    try:
        validate_provider_key(key)
    except ValidationError as exc:
        raise ValidationError({"key": exc.messages}) from None
    with transaction.atomic():
        row = ProviderKey.objects.create(
            user=user, provider=provider, label=label, encrypted_key=encrypt_secret(key), last4=key[-4:]
        )
        events.user_keys_changed(user.pk)
    return row


def provider_key_delete(*, key: ProviderKey) -> None:
    user_id = key.user_id
    with transaction.atomic():
        key.delete()
        events.user_keys_changed(user_id)


def provider_keys_reencrypt() -> int:
    """Re-encrypt every stored provider key under the first ENCRYPTION_KEY; returns the count.

    Raises keys.crypto.SecretDecryptionError (and changes nothing) when a row cannot be opened
    with any configured key.
    """
    with transaction.atomic():
        rows = list(ProviderKey.objects.select_for_update().only("pk", "user_id", "encrypted_key"))
        for row in rows:
            row.encrypted_key = reencrypt_secret(row.encrypted_key)
        ProviderKey.objects.bulk_update(rows, ["encrypted_key"], batch_size=500)
        for user_id in {row.user_id for row in rows}:
            events.user_keys_changed(user_id)
    return len(rows)
