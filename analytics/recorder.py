"""The usage recorder: the request path hands records over without waiting; one writer thread
per process inserts them in batches.

`submit` never blocks the event loop and never drops a record: the queue is unbounded and a
failed batch is retried until the database takes it. `drain` (ASGI lifespan shutdown, and at
interpreter exit) waits until everything submitted is written. Batching keeps SQLite to one
writer and one transaction per batch, so concurrent requests never see "database is locked".
"""
from __future__ import annotations

import asyncio
import atexit
import logging
import queue
import threading
import time

from django.db import IntegrityError, close_old_connections

logger = logging.getLogger(__name__)

MAX_BATCH = 500
# A quarter of a second: records reach analytics that much later, and a busy worker commits ~4
# times a second instead of ~20 (each commit rewrites the index pages its rows touched).
LINGER_SECONDS = 0.25
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0, 5.0)


class UsageRecorder:
    def __init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._thread: threading.Thread | None = None

    def submit(self, record) -> None:
        with self._lock:
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="usage-recorder", daemon=True)
                self._thread.start()
        self._queue.put(record)

    @property
    def pending(self) -> int:
        return self._pending

    def flush(self, timeout: float = 30.0) -> bool:
        """Block until every submitted record is written (or `timeout` passes)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def _run(self) -> None:
        from analytics.services import usage_records_write

        while True:
            batch = [self._queue.get()]
            # Linger a moment so that a busy worker commits once per batch, not once per request.
            deadline = time.monotonic() + LINGER_SECONDS
            while len(batch) < MAX_BATCH:
                remaining = deadline - time.monotonic()
                try:
                    batch.append(self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write(usage_records_write, batch)
            with self._idle:
                self._pending -= len(batch)
                if not self._pending:
                    self._idle.notify_all()

    def _write(self, write, batch) -> None:
        attempt = 0
        while True:
            try:
                close_old_connections()
                write(batch)
                return
            except IntegrityError:
                if len(batch) == 1:
                    # Its user or key was deleted meanwhile: the one record that cannot be kept.
                    logger.error("usage record %s refers to a deleted user or key; not stored", batch[0].request_id)
                    return
                for record in batch:
                    self._write(write, [record])
                return
            except Exception:
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                attempt += 1
                logger.exception(
                    "writing %d usage records failed (attempt %d); retrying in %.2fs", len(batch), attempt, delay
                )
                time.sleep(delay)


recorder = UsageRecorder()
submit = recorder.submit
flush = recorder.flush


async def drain(timeout: float = 30.0) -> bool:
    return await asyncio.to_thread(recorder.flush, timeout)


atexit.register(recorder.flush, 10.0)
