"""A real gunicorn with several worker processes on the test database, for races that
threads in one process never show (each worker has its own clock, pool and timing).

The server is the benchmark's (bench/loadgen.py): one way to start gunicorn and one
HTTP client in the project. Tests that use it are `concurrency` tests: they commit for
real, and the tables are emptied after each.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bench.loadgen import Client, start_gunicorn
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 4


def serve(database_url: str, workdir: Path, *, holidays_dir: str):
    env = {**os.environ, "WUSHE_ENV": "testing", "DATABASE_URL": database_url,
           "WUSHE_LOGIN_RATE_LIMIT": "1000 per minute", "WUSHE_HOLIDAYS_DIR": holidays_dir}
    env.pop("WUSHE_TEST_DB", None)
    return start_gunicorn("server.app:create_app()", env=env, workers=WORKERS,
                          worker_class="sync", threads=1, workdir=workdir, chdir=ROOT)


def retried_deadlocks(server) -> list[str]:
    """The deadlocks the server's workers met and retried (they log each retry)."""
    text = server.log.read_text(errors="replace") if server.log.exists() else ""
    return [line for line in text.splitlines()
            if "transient database failure" in line and "deadlock" in line.lower()]


def _idle() -> None:
    # the test's own transaction ends first: on SQLite every transaction holds the write
    # lock (BEGIN IMMEDIATE), and the server's workers would wait for it
    from server.extensions import db
    db.session.rollback()


def client(server, user) -> Client:
    phone = user.phone
    _idle()
    c = Client(server.port, timeout=60)
    c.login(phone, PASSWORD)
    return c


def at_once(calls) -> list:
    """Run the calls from as many threads, released together; results in call order."""
    _idle()
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait(timeout=30)
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - returned, so the assertion shows it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


def server_waits_on(table: str, timeout: float = 15.0) -> None:
    """Until a backend other than the test's waits for a row lock in a statement reading
    `table` (PostgreSQL): the server has reached the row the test holds."""
    import time

    from sqlalchemy import text

    from server.extensions import db
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.engine.connect() as look:
            if look.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND pid <> pg_backend_pid() AND query ILIKE :reads"),
                    {"reads": f"%FROM {table}%"}):
                return
        time.sleep(0.05)
    raise AssertionError(f"the server never waited for the {table} row the test held")
