"""A job's tally: what it did, and which records failed (each its own unit of work)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from server.core import clock, outbox
from server.extensions import db

log = logging.getLogger("server.scheduler.jobs")


@dataclass
class Tally:
    done: int = 0
    failures: list[dict] = field(default_factory=list)

    def each(self, subjects: Iterable, work: Callable[[object], int | bool | None],
             describe: Callable[[object], str] = str) -> Tally:
        """Run `work` on each subject as its own unit of work."""
        for subject in subjects:
            try:
                did = work(subject)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - recorded, retried next run
                db.session.rollback()
                outbox.discard()
                log.warning("job record %s failed: %s", describe(subject), exc)
                self.failures.append({"subject": describe(subject),
                                      "error": describe_error(exc)})
                continue
            outbox.run()
            self.done += int(did or 0)
        return self


def describe_error(exc: Exception) -> str:
    """What an administrator reads: the error's first line (a database error's next lines
    hold the statement and its values, which may be personal)."""
    text = exc.text() if hasattr(exc, "text") else (str(exc).splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text}"[:500]


def at_or_after(now: datetime, hour: int) -> bool:
    return clock.local(now).time() >= time(hour)
