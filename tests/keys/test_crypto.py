import pytest
from django.core.exceptions import ImproperlyConfigured

from keys.crypto import SecretDecryptionError, _fernet_for, decrypt_secret, encrypt_secret
from tests.keys.conftest import new_fernet_key

SECRET = "sk-test-0123456789abcdefWXYZ"


@pytest.fixture(autouse=True)
def fresh_fernet_cache():
    _fernet_for.cache_clear()
    yield
    _fernet_for.cache_clear()


def test_a_secret_round_trips_and_the_token_does_not_contain_it(encryption_key):
    token = encrypt_secret(SECRET)

    assert SECRET not in token
    assert decrypt_secret(token) == SECRET


def test_each_encryption_is_different(encryption_key):
    assert encrypt_secret(SECRET) != encrypt_secret(SECRET)


def test_the_wrong_key_raises_instead_of_returning_ciphertext(settings, encryption_key):
    token = encrypt_secret(SECRET)
    settings.ENCRYPTION_KEY = new_fernet_key()

    with pytest.raises(SecretDecryptionError) as caught:
        decrypt_secret(token)

    assert token not in str(caught.value) and SECRET not in str(caught.value)


@pytest.mark.parametrize("token", ["", "not-a-token", "gAAAAA" + "A" * 40, "ünïcode"])
def test_a_corrupt_token_raises(encryption_key, token):
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(token)


def test_every_listed_key_decrypts_and_the_first_encrypts(settings):
    old, new = new_fernet_key(), new_fernet_key()
    settings.ENCRYPTION_KEY = old
    old_token = encrypt_secret(SECRET)

    settings.ENCRYPTION_KEY = f"{new}, {old}"
    new_token = encrypt_secret(SECRET)

    assert decrypt_secret(old_token) == SECRET
    settings.ENCRYPTION_KEY = new
    assert decrypt_secret(new_token) == SECRET
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(old_token)


@pytest.mark.parametrize("value", ["not-a-fernet-key", "short", f"{'A' * 44},garbage"])
def test_a_malformed_encryption_key_is_a_configuration_error(settings, value):
    settings.ENCRYPTION_KEY = value

    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEY"):
        encrypt_secret(SECRET)


def test_without_an_encryption_key_production_refuses_to_encrypt(settings):
    settings.ENCRYPTION_KEY = ""
    settings.DEBUG = False

    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEY"):
        encrypt_secret(SECRET)


def test_without_an_encryption_key_debug_uses_a_key_derived_from_secret_key(settings):
    settings.ENCRYPTION_KEY = ""
    settings.DEBUG = True
    token = encrypt_secret(SECRET)

    assert decrypt_secret(token) == SECRET
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(SecretDecryptionError):
        decrypt_secret(token)
