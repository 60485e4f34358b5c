"""Encryption at rest for provider keys: MultiFernet over `settings.ENCRYPTION_KEY`.

`ENCRYPTION_KEY` is a comma-separated list of Fernet keys: the first encrypts, every one of them
decrypts. Rotation: prepend a new key, run `manage.py rotate_encryption_key` (re-encrypts every
row under the first key), then drop the old key.

Failing closed: a token that no configured key opens raises `SecretDecryptionError`; nothing here
ever hands back ciphertext in place of a secret. With DEBUG on and no ENCRYPTION_KEY, a key
derived from SECRET_KEY is used so local development works without setup.
"""
from __future__ import annotations

import base64
import hashlib
import logging
from contextlib import contextmanager
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SecretDecryptionError(Exception):
    """No configured ENCRYPTION_KEY opens this token (wrong key, dropped key or corrupt data)."""


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str:
    with _failing_closed():
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")


def reencrypt_secret(token: str) -> str:
    """The same secret encrypted under the first key (raises SecretDecryptionError)."""
    with _failing_closed():
        return _fernet().rotate(token.encode("ascii")).decode("ascii")


@contextmanager
def _failing_closed():
    try:
        yield
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretDecryptionError(
            "A stored provider key cannot be decrypted with the configured ENCRYPTION_KEY."
        ) from None


def _fernet() -> MultiFernet:
    return _fernet_for(settings.ENCRYPTION_KEY, settings.SECRET_KEY if settings.DEBUG else "")


@lru_cache(maxsize=4)
def _fernet_for(encryption_key: str, debug_secret: str) -> MultiFernet:
    keys = [k.strip() for k in encryption_key.split(",") if k.strip()]
    if not keys:
        if not debug_secret:
            raise ImproperlyConfigured("ENCRYPTION_KEY is not set.")
        logger.warning("ENCRYPTION_KEY is not set; using a key derived from SECRET_KEY (DEBUG only).")
        keys = [base64.urlsafe_b64encode(hashlib.sha256(debug_secret.encode()).digest()).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEY must be one or more comma-separated Fernet keys (32 url-safe "
            "base64-encoded bytes each)."
        ) from None
