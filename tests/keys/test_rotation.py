import pytest
from django.core.management import CommandError, call_command

from keys.crypto import SecretDecryptionError, _fernet_for, encrypt_secret
from keys.models import ProviderKey
from keys.selectors import provider_secrets_for_user
from keys.services import provider_key_create, provider_keys_reencrypt
from tests.keys.conftest import new_fernet_key

pytestmark = pytest.mark.django_db

SECRETS = {"openai": "sk-openai-secret-000111", "anthropic": "sk-ant-secret-000222", "google": "AIza-secret-000333"}


@pytest.fixture(autouse=True)
def fresh_fernet_cache():
    _fernet_for.cache_clear()
    yield
    _fernet_for.cache_clear()


def store_secrets(*users):
    for user in users:
        for provider, secret in SECRETS.items():
            provider_key_create(user=user, provider=provider, key=secret)


def test_rotation_keeps_every_key_readable_with_only_the_new_key(settings, alice, bob):
    old, new = new_fernet_key(), new_fernet_key()
    settings.ENCRYPTION_KEY = old
    store_secrets(alice, bob)
    before = dict(ProviderKey.objects.values_list("pk", "encrypted_key"))

    settings.ENCRYPTION_KEY = f"{new},{old}"
    call_command("rotate_encryption_key")
    settings.ENCRYPTION_KEY = new

    assert provider_secrets_for_user(alice.id) == SECRETS
    assert provider_secrets_for_user(bob.id) == SECRETS
    after = dict(ProviderKey.objects.values_list("pk", "encrypted_key"))
    assert all(after[pk] != token for pk, token in before.items())


def test_without_rotation_the_new_key_alone_cannot_read_old_rows(settings, alice):
    old = new_fernet_key()
    settings.ENCRYPTION_KEY = old
    store_secrets(alice)

    settings.ENCRYPTION_KEY = new_fernet_key()

    with pytest.raises(SecretDecryptionError):
        provider_secrets_for_user(alice.id)


def test_rotation_reports_how_many_keys_it_re_encrypted(settings, alice):
    settings.ENCRYPTION_KEY = new_fernet_key()
    store_secrets(alice)

    assert provider_keys_reencrypt() == 3


def test_rotation_with_an_unreadable_row_changes_nothing(settings, alice):
    old = new_fernet_key()
    settings.ENCRYPTION_KEY = old
    store_secrets(alice)
    settings.ENCRYPTION_KEY = new_fernet_key()
    ProviderKey.objects.filter(provider="google").update(encrypted_key=encrypt_secret("sk-stranger-000"))
    _fernet_for.cache_clear()
    settings.ENCRYPTION_KEY = f"{new_fernet_key()},{old}"
    before = dict(ProviderKey.objects.values_list("pk", "encrypted_key"))

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("rotate_encryption_key")

    assert dict(ProviderKey.objects.values_list("pk", "encrypted_key")) == before
