"""A soak run's throwaway database, and reading its usage records with plain SQL.

`throwaway_postgres(config, workdir)` yields the run's DATABASE_URL: a PostgreSQL database
`gw_soak_<pid>` created through the admin URL and dropped (WITH FORCE) when the block ends, or a
SQLite file in the run's temp dir. `RecordStore` counts what the gateway wrote, from outside.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections import Counter
from pathlib import Path

TABLE = "analytics_usagerecord"


@contextlib.contextmanager
def throwaway_postgres(config, workdir: Path):
    if config.database == "sqlite":
        yield f"sqlite:///{workdir / 'gateway.db'}"
        return
    import psycopg

    name = f"gw_soak_{os.getpid()}"
    with psycopg.connect(config.postgres_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{config.postgres_admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(config.postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RecordStore:
    def __init__(self, database_url: str):
        self.database_url = database_url

    def _rows(self, sql: str) -> list[tuple]:
        if self.database_url.startswith("sqlite:///"):
            with contextlib.closing(sqlite3.connect(self.database_url.removeprefix("sqlite:///"), timeout=30)) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(sql).fetchall()

    def count(self) -> int:
        return self._rows(f"SELECT count(*) FROM {TABLE}")[0][0]

    def wait_for(self, expected: int, *, timeout: float) -> int:
        """The record count once it reaches `expected`, or when `timeout` passes."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.count()
            if found >= expected or time.monotonic() > deadline:
                return found
            time.sleep(0.25)

    def request_ids(self) -> list[str]:
        return [row[0] for row in self._rows(f"SELECT request_id FROM {TABLE}")]

    def statuses(self) -> Counter:
        return Counter({status: n for status, n in self._rows(f"SELECT status, count(*) FROM {TABLE} GROUP BY status")})
