"""Re-encrypt every stored provider key under the first key of ENCRYPTION_KEY.

Rotation: set ENCRYPTION_KEY="<new>,<old>", run this command, then set ENCRYPTION_KEY="<new>".
"""
from django.core.management.base import BaseCommand, CommandError

from keys.crypto import SecretDecryptionError
from keys.services import provider_keys_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every provider key with the first key of ENCRYPTION_KEY (prepend the new key first)."

    def handle(self, *args, **options):
        try:
            count = provider_keys_reencrypt()
        except SecretDecryptionError as exc:
            raise CommandError(f"{exc} Nothing was changed; keep the old key in ENCRYPTION_KEY and retry.") from None
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} provider key(s) under the first ENCRYPTION_KEY."))
