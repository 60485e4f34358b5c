"""Gateway key material: generation and the digest that is all the database keeps."""
import hashlib
import secrets

KEY_PREFIX = "gw-"


def generate_gateway_key() -> str:
    """A new key: the recognisable prefix plus 256 random bits (43 URL-safe characters)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest_gateway_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(raw_key: str) -> str:
    return raw_key[: len(KEY_PREFIX) + 6]
