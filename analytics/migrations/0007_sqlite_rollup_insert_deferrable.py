"""SQLite: the usage insert trigger skips rows while its connection defers the rollups.

The usage writer inserts a batch with `analytics_rollup_deferred()` on and adds the batch's
totals in one grouped upsert (analytics/sqlite_rollups.py). PostgreSQL's statement trigger
already works per batch and is left as it is. The trigger body is migration 0003's, unchanged.
"""
import importlib

from django.db import migrations

_frozen = importlib.import_module("analytics.migrations.0003_usage_rollup_triggers")
TRIGGER = "analytics_usage_rollup_insert"


def _create(schema_editor, when: str) -> None:
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}", params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON analytics_usagerecord {when}"
        f"BEGIN {_frozen._sqlite_add('NEW')} END",
        params=None,
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _create(schema_editor, "WHEN NOT analytics_rollup_deferred() ")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _create(schema_editor, "")


class Migration(migrations.Migration):
    dependencies = [("analytics", "0006_request_log_status_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
