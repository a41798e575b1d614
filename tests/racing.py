"""Run calls at the same instant from several threads, each with its own session."""

from __future__ import annotations

import threading

from server.core.errors import WusheError
from server.extensions import db


def race(app, calls, *, timeout: float = 120) -> list:
    """Results in call order: a call's return value, a refusal's code, or the exception."""
    # end the test's own transaction first: on SQLite every transaction holds the write lock
    db.session.rollback()
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = call()
                db.session.commit()
            except WusheError as exc:
                db.session.rollback()
                results[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - returned, so the test's assertion shows it
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a racing call hung"
    return results
