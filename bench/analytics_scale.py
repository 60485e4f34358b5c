"""Time every analytics endpoint and page at 10k, 100k and 1M usage records.

    .venv/bin/python bench/analytics_scale.py [--sizes 10000,100000,1000000] [--runs 5]
                                              [--db-file /tmp/analytics-bench.sqlite3]

Builds a throwaway database — a SQLite file in a temporary folder, or, when DATABASE_URL names
PostgreSQL, a `test_<name>` database beside it — migrates it, grows it with `seed_usage` to each
size in turn (5 users, 30 days), and requests each URL in-process with Django's test Client as a
user (one fifth of the records) and as staff (everyone's). Prints the median of `--runs` timed
requests after one warm-up. Target: every one under 300 ms at 1M records.

`--db-file` (SQLite) keeps the database in that file and reuses it next time, topping it up to
each size instead of seeding from nothing: timing again at 1M then takes seconds, not minutes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gatewayproj.test_settings")

import django  # noqa: E402

USERS = [f"bench-user-{i}@example.com" for i in range(1, 6)]
TARGET_MS = 300
URLS = [
    ("API overview", "/api/analytics/overview"),
    ("API cost-breakdown model", "/api/analytics/cost-breakdown?group_by=model"),
    ("API cost-breakdown day", "/api/analytics/cost-breakdown?group_by=day"),
    ("API cost-breakdown key", "/api/analytics/cost-breakdown?group_by=key"),
    ("API model-distribution", "/api/analytics/model-distribution"),
    ("API requests", "/api/analytics/requests"),
    ("API requests, a deep page", "/api/analytics/requests?page={deep_page}"),
    ("API requests 5xx+expert", "/api/analytics/requests?status=5xx&complexity=expert"),
    ("API overview, datetime period", "/api/analytics/overview?from={mid_from}&to={mid_to}"),
    ("page overview", "/analytics/"),
    ("page requests", "/analytics/requests/"),
    ("page requests filtered", "/analytics/requests/?status=error&cache=miss&model=gpt-6-luna"),
    ("page request detail", "/analytics/requests/{request_id}/"),
    ("page keys", "/analytics/keys/"),
]


def _median_ms(client, url: str, runs: int) -> tuple[float, int]:
    status = client.get(url).status_code
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db-file", type=Path, help="SQLite file to keep and reuse between runs.")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if args.db_file:
        if connection.vendor != "sqlite":
            raise SystemExit("--db-file is for SQLite; PostgreSQL benches use a test_<name> database.")
        return _run_on_file(args.db_file, sizes, args.runs, Client)
    tmp = tempfile.TemporaryDirectory(prefix="analytics-bench-")
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return _run(sizes, args.runs, Client)
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        tmp.cleanup()


def _run_on_file(path: Path, sizes: list[int], runs: int, client_class) -> int:
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = str(path)
    call_command("migrate", verbosity=0, interactive=False)
    return _run(sizes, runs, client_class)


def _run(sizes: list[int], runs: int, client_class) -> int:
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from analytics.models import UsageRecord

    seeded = UsageRecord.objects.count()
    today = timezone.now().date()
    mid = {"mid_from": f"{today - dt.timedelta(days=20)}T12:00:00Z", "mid_to": f"{today - dt.timedelta(days=3)}T06:00:00Z"}
    results: dict[tuple[str, str], dict[int, float]] = {}
    worst = 0.0
    if seeded > sizes[0]:
        print(f"the database holds {seeded:,} records: sizes below that are skipped", file=sys.stderr)
        sizes = [size for size in sizes if size >= seeded] or [seeded]
    for size in sizes:
        started = time.perf_counter()
        if size > seeded:
            call_command("seed_usage", records=size - seeded, users=USERS, days=30, seed=size, stdout=StringIO())
            seeded = size
            print(f"seeded {size:,} records in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            _refresh_statistics()
        user = User.objects.get(email=USERS[0])
        staff = User.objects.filter(email="bench-staff@example.com").first() or User.objects.create_user(
            "bench-staff@example.com", is_staff=True)
        request_id = UsageRecord.objects.filter(user=user).values_list("request_id", flat=True).first()
        deep_page = max(1, min(20, UsageRecord.objects.filter(user=user).count() // 50))
        for scope, who in (("user", user), ("staff", staff)):
            client = client_class()
            client.force_login(who)
            for name, url in URLS:
                elapsed, status = _median_ms(client, url.format(request_id=request_id, deep_page=deep_page, **mid), runs)
                if status != 200:
                    raise SystemExit(f"{url} answered {status} for {scope}")
                results.setdefault((name, scope), {})[size] = elapsed
                if size == sizes[-1]:
                    worst = max(worst, elapsed)
    _print_table(results, sizes)
    print(f"\nslowest at {sizes[-1]:,} records: {worst:.0f} ms (target {TARGET_MS} ms)")
    return 0 if worst < TARGET_MS else 1


def _refresh_statistics() -> None:
    """What autovacuum does on a live PostgreSQL: reclaim the rollups' upserted rows, update stats."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE analytics_usagerecord, analytics_usagedaily, analytics_usagelatencydaily")


def _print_table(results: dict, sizes: list[int]) -> None:
    header = f"| {'endpoint / page':32} | {'scope':5} | " + " | ".join(f"{s:>9,}" for s in sizes) + " |"
    print(header)
    print("|" + "-" * 34 + "|" + "-" * 7 + "|" + "|".join("-" * 11 for _ in sizes) + "|")
    for (name, scope), by_size in results.items():
        print(f"| {name:32} | {scope:5} | " + " | ".join(f"{by_size[s]:6.1f} ms" for s in sizes) + " |")


if __name__ == "__main__":
    sys.exit(main())
