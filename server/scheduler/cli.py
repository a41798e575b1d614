"""`flask scheduler …`: run the scheduler process, run one job now, see who leads."""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask

from server.core import clock
from server.extensions import db


def register(app: Flask) -> None:
    group = click.Group("scheduler", help="The scheduler: reminders, automatic check-out, "
                                          "deadlines, daily summaries.")
    app.cli.add_command(group)

    @group.command("run")
    @click.option("--holder", default=None, help="This process's name in the lease "
                                                 "(default: host:pid:random).")
    def run(holder: str | None) -> None:
        """Run the scheduler process (one leads, others stand by)."""
        from server.scheduler.runner import Runner
        if not logging.getLogger().handlers:
            logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # APScheduler says "Running job…" every tick; our own runs are in job_runs
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        runner = Runner(app, holder)
        runner.install_signals()
        runner.run()

    @group.command("run-job")
    @click.argument("name")
    def run_job(name: str) -> None:
        """Run one job now, once, whoever leads (its effects are once-only anyway)."""
        from server.scheduler.jobs import JOBS
        from server.scheduler.models import JobRun
        from server.scheduler.runner import new_holder
        from server.scheduler.runner import run_job as run_once
        if name not in JOBS:
            raise click.BadParameter(f"choose one of: {', '.join(JOBS)}")
        run_id = run_once(app, name, holder=f"cli:{new_holder()}", check_lease=False)
        if run_id is None:  # a job that looks often is recorded only when it found work
            click.echo(f"{name}: nothing to do")
            return
        run = db.session.get(JobRun, run_id)
        click.echo(f"{name}: {run.status}, {run.done} done, {run.failed} failed")
        if run.message:  # the run failed as a whole: why
            click.echo(f"  {run.message}")
        for failure in run.failures:
            click.echo(f"  {failure['subject']}: {failure['error']}")

    @group.command("status")
    def status() -> None:
        """Who leads, and each job's last run."""
        from server.scheduler import services
        from server.scheduler.jobs import JOBS
        now = clock.now()
        lease = services.leader(now=now)
        if lease is None:
            click.echo("leader: none (no scheduler is running)")
        else:
            click.echo(f"leader: {lease.holder} (term {lease.term}, "
                       f"until {clock.local(lease.expires_at):%H:%M:%S})")
        for name, runs in services.latest_runs(list(JOBS)).items():
            last = runs["last"]
            if last is None:
                click.echo(f"  {name}: not run yet")
                continue
            click.echo(f"  {name}: {last.status} at "
                       f"{clock.local(last.started_at):%Y-%m-%d %H:%M:%S}, "
                       f"{last.done} done, {last.failed} failed"
                       + (f" ({last.message})" if last.message else ""))
