"""A short soak in the normal suite: `make soak`'s run and checks, 50 clients for 15 seconds.

On the database the suite runs on: SQLite gives one worker and no Redis (SQLite's supported
setup); PostgreSQL gives four workers and Redis, with a throwaway database beside the test
database on the same server. bench/soak.py says what is started and checked.
"""
from django.conf import settings

from bench.soak import SoakConfig, run_soak
from bench.soak_checks import problems

CLIENTS = 50
DURATION = 15.0
# A worker's RSS grows until it has served a thousand or two requests (imports, pools, caches);
# 15 s on two shared cores may end before that, so this run only catches a gross leak. The
# two-minute `make soak` holds the second half to bench.soak_checks.RSS_GROWTH_LIMIT_MIB.
RSS_GROWTH_LIMIT_MIB = 32.0


def suite_database_config() -> SoakConfig:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return SoakConfig(database="sqlite", workers=1, use_redis=False, clients=CLIENTS, duration=DURATION,
                          rss_growth_limit_mib=RSS_GROWTH_LIMIT_MIB)
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    admin_url = f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"
    return SoakConfig(database="postgres", workers=4, use_redis=True, clients=CLIENTS, duration=DURATION,
                      postgres_admin_url=admin_url, rss_growth_limit_mib=RSS_GROWTH_LIMIT_MIB)


def test_a_short_soak_with_vendor_faults_loses_nothing_and_never_answers_500():
    report = run_soak(suite_database_config())

    assert problems(report) == []
    assert report.tally.sent > CLIENTS
    assert report.tally.statuses.get(500, 0) == 0
    assert report.records == report.tally.sent
    assert report.distinct_record_ids == report.records
    assert report.tally.streams > 0
    assert report.locked_lines == 0
