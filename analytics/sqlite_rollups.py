"""SQLite: a batch of usage rows rolled up with one grouped upsert, not a trigger run per row.

The row trigger of migration 0003 (two UPSERTs per inserted record) was ~80% of the usage
writer's database time, and the writer shares a core with the request path. So the insert
trigger skips rows while `analytics_rollup_deferral` holds a row (migration 0007): in one
transaction the writer stages a batch in a temporary table, drops what is already stored, puts
the deferral row in, inserts the rest, takes the row out and adds the batch's totals with the
same grouped SQL migration 0003 backfills with. SQLite has one writer at a time, so no other
insert sees the row: the ORM, seed_usage and the admin still go through the trigger, as do
updates and deletes.

Everything stays inside SQLite, in a few statements per batch: sqlite3 releases the GIL around
every step (and every call of a Python SQL function), and on a worker whose event loop keeps the
GIL busy each release costs up to a switch interval (5 ms) to win back. With a step per row the
writer fell 20,000 records behind in a minute of soak.
"""
from __future__ import annotations

import importlib
import sqlite3

DEFERRAL_TABLE = "analytics_rollup_deferral"
BATCH_TABLE = "analytics_usage_batch"
ROWS_PER_STATEMENT = 50
_frozen = importlib.import_module("analytics.migrations.0003_usage_rollup_triggers")


def insert_batch(connection, cursor, table: str, columns: str, rows: list[list]) -> None:
    """Insert `rows` (values for `columns`) into `table` and their totals into the rollups.

    Runs inside the caller's transaction; a request id already stored (or twice in the batch)
    is skipped and counted once.
    """
    cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {BATCH_TABLE} AS SELECT {columns} FROM {table} WHERE 0")
    _stage(connection, cursor, columns, rows)
    cursor.execute(
        f"DELETE FROM temp.{BATCH_TABLE} WHERE request_id IN (SELECT request_id FROM {table}) "
        f"OR rowid NOT IN (SELECT MIN(rowid) FROM temp.{BATCH_TABLE} GROUP BY request_id)"
    )
    cursor.execute(f"INSERT INTO {DEFERRAL_TABLE} (deferred) VALUES (1)")
    cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM temp.{BATCH_TABLE}")
    cursor.execute(f"DELETE FROM {DEFERRAL_TABLE}")
    for statement in _rollup_statements():
        cursor.execute(statement)
    cursor.execute(f"DELETE FROM temp.{BATCH_TABLE}")


def _stage(connection, cursor, columns: str, rows: list[list]) -> None:
    """The rows into the staging table, ROWS_PER_STATEMENT at a time, always with the same SQL.

    Not executemany (a step, so a GIL release, per row), and not one VALUES list sized to the
    batch: sqlite3 keeps 128 prepared statements per connection, and one per batch size, each
    with up to 13,000 parameters, grew a worker by 54 MiB. So the last chunk is padded with
    copies of its last row, which the de-duplication in insert_batch removes.
    """
    width = len(rows[0])
    variable_limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = min(ROWS_PER_STATEMENT, variable_limit // width)
    row_placeholder = f"({', '.join(['%s'] * width)})"
    sql = f"INSERT INTO temp.{BATCH_TABLE} ({columns}) VALUES {', '.join([row_placeholder] * per_statement)}"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        chunk += [chunk[-1]] * (per_statement - len(chunk))
        cursor.execute(sql, [value for row in chunk for value in row])


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
