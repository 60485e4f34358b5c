"""Triggers that keep UsageDaily and UsageLatencyDaily equal to the totals of UsageRecord.

Inserting, updating or deleting usage records adjusts the rollups in the same transaction,
whoever writes (the recorder's bulk inserts, seed_usage, a cascade from a deleted user). SQLite
gets row triggers with UPSERT; PostgreSQL gets statement triggers over transition tables, so a
bulk insert is one grouped upsert. Existing records are backfilled. The SQL is frozen here on
purpose: migrations must not change when application code does.
"""
from django.db import migrations

DIMS = ("user_id", "day", "key_id", "model", "provider", "complexity", "cache", "status")
SUMMED = ("cost_usd", "baseline_saving_usd", "saved_by_cache_usd", "prompt_tokens", "completion_tokens",
          "cached_tokens", "reasoning_tokens", "latency_ms_total")
TOTALS = ("requests", "unpriced", *SUMMED)
# Must match analytics/percentiles.py BUCKET_STEPS.
BUCKET_STEPS = ((200, 1), (500, 5), (1000, 10), (2000, 20), (5000, 50), (10000, 100), (20000, 200),
                (50000, 500), (100000, 1000))
LAST_STEP = 5000


def bucket_sql(latency: str) -> str:
    whens = " ".join(f"WHEN {latency} < {limit} THEN ({latency} / {step}) * {step}" for limit, step in BUCKET_STEPS)
    return f"CASE {whens} ELSE ({latency} / {LAST_STEP}) * {LAST_STEP} END"


def dim_values(row: str, day: str) -> list[str]:
    prefix = f"{row}." if row else ""
    return [f"{prefix}user_id", day, f"COALESCE({prefix}gateway_key_id, 0)", f"{prefix}model", f"{prefix}provider",
            f"{prefix}complexity", f"{prefix}cache", f"{prefix}status"]


def grouped_select(source: str, day: str) -> str:
    dims = dim_values("", day)
    return (
        f"SELECT {', '.join(f'{expr} AS {name}' for expr, name in zip(dims, DIMS))}, COUNT(*) AS requests, "
        "SUM(CASE WHEN is_priced THEN 0 ELSE 1 END) AS unpriced, COALESCE(SUM(cost_usd), 0) AS cost_usd, "
        "COALESCE(SUM(baseline_cost_usd - cost_usd), 0) AS baseline_saving_usd, "
        "COALESCE(SUM(saved_by_cache_usd), 0) AS saved_by_cache_usd, SUM(prompt_tokens) AS prompt_tokens, "
        "SUM(completion_tokens) AS completion_tokens, SUM(cached_tokens) AS cached_tokens, "
        "SUM(reasoning_tokens) AS reasoning_tokens, SUM(latency_ms) AS latency_ms_total "
        f"FROM {source} GROUP BY {', '.join(str(i + 1) for i in range(len(DIMS)))}"
    )


def latency_select(source: str, day: str) -> str:
    return (f"SELECT user_id, {day} AS day, {bucket_sql('latency_ms')} AS bucket, COUNT(*) AS requests "
            f"FROM {source} GROUP BY 1, 2, 3")


DAILY_COLUMNS = f"({', '.join(DIMS + TOTALS)})"
LATENCY_COLUMNS = "(user_id, day, bucket, requests)"

# --- SQLite: row triggers -------------------------------------------------------------------
SQLITE_DAY = "substr({row}created_at, 1, 10)"


def _sqlite_add(row: str) -> str:
    day = SQLITE_DAY.format(row=f"{row}.")
    values = dim_values(row, day) + [
        "1", f"CASE WHEN {row}.is_priced THEN 0 ELSE 1 END", f"COALESCE({row}.cost_usd, 0)",
        f"COALESCE({row}.baseline_cost_usd - {row}.cost_usd, 0)", f"COALESCE({row}.saved_by_cache_usd, 0)",
        f"{row}.prompt_tokens", f"{row}.completion_tokens", f"{row}.cached_tokens", f"{row}.reasoning_tokens",
        f"{row}.latency_ms",
    ]
    updates = ", ".join(f"{c} = {c} + excluded.{c}" for c in TOTALS)
    return (
        f"INSERT INTO analytics_usagedaily {DAILY_COLUMNS} VALUES ({', '.join(values)}) "
        f"ON CONFLICT ({', '.join(DIMS)}) DO UPDATE SET {updates}; "
        f"INSERT INTO analytics_usagelatencydaily {LATENCY_COLUMNS} "
        f"VALUES ({row}.user_id, {day}, {bucket_sql(f'{row}.latency_ms')}, 1) "
        "ON CONFLICT (user_id, day, bucket) DO UPDATE SET requests = requests + 1;"
    )


def _sqlite_remove(row: str) -> str:
    day = SQLITE_DAY.format(row=f"{row}.")
    match = " AND ".join(f"{name} = {expr}" for name, expr in zip(DIMS, dim_values(row, day)))
    minus = {
        "requests": "1", "unpriced": f"CASE WHEN {row}.is_priced THEN 0 ELSE 1 END",
        "cost_usd": f"COALESCE({row}.cost_usd, 0)",
        "baseline_saving_usd": f"COALESCE({row}.baseline_cost_usd - {row}.cost_usd, 0)",
        "saved_by_cache_usd": f"COALESCE({row}.saved_by_cache_usd, 0)", "prompt_tokens": f"{row}.prompt_tokens",
        "completion_tokens": f"{row}.completion_tokens", "cached_tokens": f"{row}.cached_tokens",
        "reasoning_tokens": f"{row}.reasoning_tokens", "latency_ms_total": f"{row}.latency_ms",
    }
    latency_match = f"user_id = {row}.user_id AND day = {day} AND bucket = {bucket_sql(f'{row}.latency_ms')}"
    return (
        f"UPDATE analytics_usagedaily SET {', '.join(f'{c} = {c} - {e}' for c, e in minus.items())} WHERE {match}; "
        f"DELETE FROM analytics_usagedaily WHERE {match} AND requests <= 0; "
        f"UPDATE analytics_usagelatencydaily SET requests = requests - 1 WHERE {latency_match}; "
        f"DELETE FROM analytics_usagelatencydaily WHERE {latency_match} AND requests <= 0;"
    )


SQLITE_FORWARD = [
    "CREATE TRIGGER analytics_usage_rollup_insert AFTER INSERT ON analytics_usagerecord "
    f"BEGIN {_sqlite_add('NEW')} END",
    "CREATE TRIGGER analytics_usage_rollup_delete AFTER DELETE ON analytics_usagerecord "
    f"BEGIN {_sqlite_remove('OLD')} END",
    "CREATE TRIGGER analytics_usage_rollup_update AFTER UPDATE ON analytics_usagerecord "
    f"BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
]

# --- PostgreSQL: statement triggers over transition tables ------------------------------------
PG_DAY = "((created_at AT TIME ZONE 'UTC')::date)"
_pg_match = " AND ".join(f"d.{c} = g.{c}" for c in DIMS)
_pg_latency_match = "d.user_id = g.user_id AND d.day = g.day AND d.bucket = g.bucket"
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION analytics_usage_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    UPDATE analytics_usagedaily d SET {', '.join(f'{c} = d.{c} - g.{c}' for c in TOTALS)}
      FROM ({grouped_select('old_rows', PG_DAY)}) g WHERE {_pg_match};
    DELETE FROM analytics_usagedaily d USING ({grouped_select('old_rows', PG_DAY)}) g
      WHERE {_pg_match} AND d.requests <= 0;
    UPDATE analytics_usagelatencydaily d SET requests = d.requests - g.requests
      FROM ({latency_select('old_rows', PG_DAY)}) g WHERE {_pg_latency_match};
    DELETE FROM analytics_usagelatencydaily d USING ({latency_select('old_rows', PG_DAY)}) g
      WHERE {_pg_latency_match} AND d.requests <= 0;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO analytics_usagedaily {DAILY_COLUMNS}
      SELECT * FROM ({grouped_select('new_rows', PG_DAY)}) g ORDER BY {', '.join(DIMS)}
      ON CONFLICT ({', '.join(DIMS)}) DO UPDATE SET
      {', '.join(f'{c} = analytics_usagedaily.{c} + EXCLUDED.{c}' for c in TOTALS)};
    INSERT INTO analytics_usagelatencydaily {LATENCY_COLUMNS}
      SELECT * FROM ({latency_select('new_rows', PG_DAY)}) g ORDER BY user_id, day, bucket
      ON CONFLICT (user_id, day, bucket) DO UPDATE SET
      requests = analytics_usagelatencydaily.requests + EXCLUDED.requests;
  END IF;
  RETURN NULL;
END $$
"""
PG_FORWARD = [
    PG_FUNCTION,
    "CREATE TRIGGER analytics_usage_rollup_insert AFTER INSERT ON analytics_usagerecord "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_usage_rollup()",
    "CREATE TRIGGER analytics_usage_rollup_update AFTER UPDATE ON analytics_usagerecord "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_usage_rollup()",
    "CREATE TRIGGER analytics_usage_rollup_delete AFTER DELETE ON analytics_usagerecord "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_usage_rollup()",
]
TRIGGERS = ("analytics_usage_rollup_insert", "analytics_usage_rollup_update", "analytics_usage_rollup_delete")


def _backfill(day: str) -> list[str]:
    return [
        "DELETE FROM analytics_usagedaily",
        "DELETE FROM analytics_usagelatencydaily",
        f"INSERT INTO analytics_usagedaily {DAILY_COLUMNS} {grouped_select('analytics_usagerecord', day)}",
        f"INSERT INTO analytics_usagelatencydaily {LATENCY_COLUMNS} {latency_select('analytics_usagerecord', day)}",
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = _backfill(SQLITE_DAY.format(row="")) + SQLITE_FORWARD
    elif vendor == "postgresql":
        statements = _backfill(PG_DAY) + PG_FORWARD
    else:
        raise NotImplementedError(f"usage rollup triggers exist for SQLite and PostgreSQL, not {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    suffix = " ON analytics_usagerecord" if vendor == "postgresql" else ""
    for name in TRIGGERS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}{suffix}", params=None)
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS analytics_usage_rollup()", params=None)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0002_usage_rollups")]
    operations = [migrations.RunPython(forwards, backwards)]
