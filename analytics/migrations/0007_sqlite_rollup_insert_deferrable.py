"""SQLite: the usage insert trigger skips rows while the writer's transaction defers the rollups.

The usage writer puts a row in `analytics_rollup_deferral`, inserts a batch, adds the batch's
totals in one grouped upsert and removes the row, all in one transaction (analytics/
sqlite_rollups.py); SQLite has one writer at a time, so no other insert ever sees the row.
PostgreSQL's statement trigger already works per batch and is left as it is. The trigger body
is migration 0003's, unchanged.
"""
import importlib

from django.db import migrations

_frozen = importlib.import_module("analytics.migrations.0003_usage_rollup_triggers")
TRIGGER = "analytics_usage_rollup_insert"
DEFERRAL_TABLE = "analytics_rollup_deferral"


def _create(schema_editor, when: str) -> None:
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}", params=None)
    schema_editor.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT ON analytics_usagerecord {when}"
        f"BEGIN {_frozen._sqlite_add('NEW')} END",
        params=None,
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"CREATE TABLE {DEFERRAL_TABLE} (deferred integer NOT NULL)", params=None)
        _create(schema_editor, f"WHEN NOT EXISTS (SELECT 1 FROM {DEFERRAL_TABLE}) ")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _create(schema_editor, "")
        schema_editor.execute(f"DROP TABLE {DEFERRAL_TABLE}", params=None)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0006_request_log_status_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
