"""The scheduler process (`flask scheduler run`): a heartbeat that takes or renews the
leader lease, and, while this process leads, APScheduler running the jobs.

APScheduler (3.x) keeps the jobs and their next run times in the database
(SQLAlchemyJobStore, table apscheduler_jobs). A job store must not be shared by two
running schedulers, so only the leader runs one: a standby process beats, and starts its
own APScheduler once it holds the lease (within SCHEDULER_LEASE_SECONDS of the old
leader's last renewal), while a leader that fails to renew stops its APScheduler before
the lease can expire. Each job run checks the lease again, and every effect has its own
unique key, so a leader that was paused and resumes late still does nothing twice.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from datetime import timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from server.core import clock
from server.extensions import db
from server.scheduler import services
from server.scheduler.jobs import JOBS

log = logging.getLogger("wushe.scheduler")
_running: dict[str, object] = {}  # the app and holder of this process, for job threads


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_job(app: Flask, name: str, *, holder: str, check_lease: bool = True) -> int | None:
    """One run of one job, recorded in job_runs; returns its run id (None: not leading)."""
    job = JOBS[name]
    with app.app_context():
        now = clock.now()
        term = None
        if check_lease:
            lease = services.holds(holder, now=now)
            if lease is None:
                db.session.rollback()
                log.info("%s skipped: %s does not hold the lease", name, holder)
                return None
            term = lease.term
        # a job that looks often for work is recorded only when it found some
        quiet = job.every_setting is not None
        run_id = None if quiet else services.start_run(name, holder=holder, term=term,
                                                       now=now).id
        db.session.commit()
        message = None
        try:
            tally = job.run(now)
        except Exception as exc:  # noqa: BLE001 - the whole run failed: recorded, retried
            db.session.rollback()
            log.exception("job %s failed", name)
            from server.scheduler.tally import Tally, describe_error
            tally, message = Tally(), describe_error(exc)
        if run_id is None:
            if not (tally.done or tally.failures or message):
                return None
            run_id = services.start_run(name, holder=holder, term=term, now=now).id
        services.finish_run(run_id, now=clock.now(), done=tally.done,
                            failures=tally.failures, message=message)
        db.session.commit()
        return run_id


def tick(name: str) -> None:
    """What APScheduler calls (by this textual reference, which its job store keeps)."""
    run_job(_running["app"], name, holder=_running["holder"])


class Runner:
    def __init__(self, app: Flask, holder: str | None = None):
        self.app = app
        self.holder = holder or new_holder()
        self.stopping = threading.Event()
        self.scheduler: BackgroundScheduler | None = None
        cfg = app.config
        self.lease_seconds = cfg["SCHEDULER_LEASE_SECONDS"]
        # under half the lease (server.settings refuses a start otherwise)
        self.beat_seconds = cfg["SCHEDULER_BEAT_SECONDS"]
        self.tick_seconds = cfg["SCHEDULER_TICK_SECONDS"]

    def beat(self) -> bool:
        """Take or renew the lease; False (not leading) if the database cannot say."""
        with self.app.app_context():
            try:
                leading = services.acquire(self.holder, now=clock.now(),
                                           seconds=self.lease_seconds)
                db.session.commit()
                return leading
            except Exception:  # noqa: BLE001 - no database: lead nothing until it is back
                db.session.rollback()
                log.exception("scheduler %s could not reach the lease", self.holder)
                return False

    def _start(self) -> None:
        with self.app.app_context():
            engine = db.engine
            services.close_interrupted(self.holder, now=clock.now())
            db.session.commit()
        _running.update(app=self.app, holder=self.holder)
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=engine)},
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": self.tick_seconds * 5},
            timezone=clock.SHANGHAI)
        first = clock.now() + timedelta(seconds=1)
        for job in JOBS.values():
            scheduler.add_job("server.scheduler.runner:tick", "interval", args=[job.name],
                              id=job.name, name=job.name, replace_existing=True,
                              seconds=job.seconds(self.app.config),
                              next_run_time=first)
        scheduler.start()
        self.scheduler = scheduler
        log.info("scheduler %s leads: %d jobs every %ss and more", self.holder, len(JOBS),
                 self.tick_seconds)

    def _stop(self, *, wait: bool) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=wait)
            self.scheduler = None
            log.info("scheduler %s no longer runs jobs", self.holder)

    def run(self) -> None:
        """Beat until stopped (SIGTERM, SIGINT); then step down at once."""
        log.info("scheduler %s started; beats every %ss, lease %ss", self.holder,
                 self.beat_seconds, self.lease_seconds)
        while not self.stopping.is_set():
            leading = self.beat()
            if leading and self.scheduler is None:
                self._start()
            elif not leading and self.scheduler is not None:
                self._stop(wait=False)
            self.stopping.wait(self.beat_seconds)
        self._stop(wait=True)
        with self.app.app_context():
            services.release(self.holder, now=clock.now())
            db.session.commit()
        log.info("scheduler %s stopped", self.holder)

    def stop(self, *_args) -> None:
        self.stopping.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
