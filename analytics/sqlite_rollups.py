"""SQLite: a batch of usage rows rolled up with one grouped upsert, not a trigger run per row.

The row trigger of migration 0003 (two UPSERTs per inserted record) was ~80% of the usage
writer's database time, and the writer shares a core with the request path. So the insert
trigger skips rows while its connection says `analytics_rollup_deferred()` (migration 0007): the
writer stages a batch in a temporary table, drops what is already stored, inserts the rest with
the trigger deferred and adds the batch's totals with the same grouped SQL migration 0003
backfills with. Every other insert (the ORM, seed_usage, the admin) still goes through the
trigger, as do updates and deletes.

`analytics_rollup_deferred()` is a function each Django SQLite connection registers when it
opens (analytics.apps); a connection without it (the sqlite3 shell) cannot insert usage records.
"""
from __future__ import annotations

import importlib

DEFERRED_FUNCTION = "analytics_rollup_deferred"
BATCH_TABLE = "analytics_usage_batch"
_frozen = importlib.import_module("analytics.migrations.0003_usage_rollup_triggers")


def register_deferred_function(sender, connection, **kwargs) -> None:
    """connection_created receiver: give each SQLite connection its deferral switch (off)."""
    if connection.vendor != "sqlite":
        return
    connection.analytics_rollup_deferred = False
    connection.connection.create_function(
        DEFERRED_FUNCTION, 0, lambda: 1 if connection.analytics_rollup_deferred else 0
    )


def insert_batch(connection, cursor, table: str, columns: str, rows: list[list]) -> None:
    """Insert `rows` (values for `columns`) into `table` and their totals into the rollups.

    Runs inside the caller's transaction; a request id already stored (or twice in the batch)
    is skipped and counted once.
    """
    placeholders = ", ".join(["%s"] * len(rows[0]))
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {BATCH_TABLE} AS SELECT {columns} FROM {table} WHERE 0")
    cursor.executemany(f"INSERT INTO temp.{BATCH_TABLE} ({columns}) VALUES ({placeholders})", rows)
    cursor.execute(
        f"DELETE FROM temp.{BATCH_TABLE} WHERE request_id IN (SELECT request_id FROM {table}) "
        f"OR rowid NOT IN (SELECT MIN(rowid) FROM temp.{BATCH_TABLE} GROUP BY request_id)"
    )
    connection.analytics_rollup_deferred = True
    try:
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM temp.{BATCH_TABLE}")
    finally:
        connection.analytics_rollup_deferred = False
    for statement in _rollup_statements():
        cursor.execute(statement)
    cursor.execute(f"DELETE FROM temp.{BATCH_TABLE}")


def _rollup_statements() -> tuple[str, str]:
    day = _frozen.SQLITE_DAY.format(row="")
    source = f"temp.{BATCH_TABLE}"
    daily_updates = ", ".join(f"{c} = {c} + excluded.{c}" for c in _frozen.TOTALS)
    return (
        f"INSERT INTO analytics_usagedaily {_frozen.DAILY_COLUMNS} "
        f"SELECT * FROM ({_frozen.grouped_select(source, day)}) WHERE true "
        f"ON CONFLICT ({', '.join(_frozen.DIMS)}) DO UPDATE SET {daily_updates}",
        f"INSERT INTO analytics_usagelatencydaily {_frozen.LATENCY_COLUMNS} "
        f"SELECT * FROM ({_frozen.latency_select(source, day)}) WHERE true "
        "ON CONFLICT (user_id, day, bucket) DO UPDATE SET requests = requests + excluded.requests",
    )
