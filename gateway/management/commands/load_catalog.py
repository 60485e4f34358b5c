"""Load the default model catalog (gateway/catalog.py) into the registry; safe to run again."""
from django.core.management.base import BaseCommand

from gateway.catalog import PRICES_TAKEN_ON
from gateway.services import catalog_load


class Command(BaseCommand):
    help = (
        "Create the default providers, models, fallbacks, routing weights and complexity rules; "
        "update the prices of existing catalog models unless --keep-existing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-existing", action="store_true", help="Leave the prices of models already in the registry alone."
        )

    def handle(self, *args, keep_existing: bool = False, **options):
        result = catalog_load(keep_existing=keep_existing)
        self.stdout.write(
            f"Catalog (prices of {PRICES_TAKEN_ON}): {len(result.created)} created, "
            f"{len(result.repriced)} repriced, {len(result.unchanged)} unchanged."
        )
