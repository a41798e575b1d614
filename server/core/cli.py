"""Command-line entry points. Each command is one unit of work."""

from __future__ import annotations

import click
from flask import Flask

from server.core import clock, outbox
from server.extensions import db


def report_drift(found: list[str], agrees: str) -> None:
    """What a `check-…` command prints: each difference found (then exit status 1), or
    that what is stored agrees with its source of truth."""
    for line in found:
        click.echo(line)
    if found:
        raise SystemExit(1)
    click.echo(agrees)


def register(app: Flask) -> None:
    from server.imports import cli as imports_cli
    from server.reports import cli as reports_cli
    from server.scheduler import cli as scheduler_cli
    scheduler_cli.register(app)
    reports_cli.register(app)
    imports_cli.register(app)

    @app.cli.command("seed-demo")
    @click.option("--reset", is_flag=True,
                  help="Empty every table first (everything in this database goes), then seed.")
    @click.option("--url", default="http://127.0.0.1:5000", show_default=True,
                  help="Where the site is served, for the printed links.")
    def seed_demo(reset: bool, url: str) -> None:
        """Load the demo world (built relative to now) and print where each login starts.

        Idempotent while the demo is current; a demo whose live activity has ended is
        rebuilt for now."""
        from server.demo import seed
        if app.config["ENV"] == "production":
            raise click.ClickException("refusing to load demo data into production")
        try:
            result = seed.seed(now=clock.now(), reset=reset)
        except seed.NotADemo as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        click.echo(report(result, url.rstrip("/")))

    backups = click.Group("backup", help="Back up and restore (server/core/backup.py).")
    app.cli.add_command(backups)

    @backups.command("create")
    @click.option("--to", "directory", default=None,
                  help="Where the archive goes (default: BACKUP_DIR).")
    @click.option("--keep", type=int, default=None,
                  help="How many archives to keep there (default: BACKUP_KEEP; 0: all).")
    def backup_create(directory: str | None, keep: int | None) -> None:
        """Write one archive: the database as of one moment, the configuration, the
        instance folder, and a manifest of every table's rows."""
        from pathlib import Path

        from server.core import backup
        from server.settings import PROJECT_DIR
        folder = Path(directory or app.config["BACKUP_DIR"])
        if not folder.is_absolute():
            folder = Path(PROJECT_DIR) / folder
        keep = app.config["BACKUP_KEEP"] if keep is None else keep
        try:
            made = backup.create(directory=folder, now=clock.now(), keep=keep or None)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        rows = sum(made.tables.values())
        click.echo(f"wrote {made.path} ({len(made.tables)} tables, {rows} rows)")
        for old in made.removed:
            click.echo(f"removed {old.name} (keeping the newest {keep})")

    @backups.command("restore")
    @click.argument("archive", type=click.Path(exists=True, dir_okay=False))
    @click.option("--with-config", is_flag=True,
                  help="Also put back config/*.toml (SECRET_KEY) from the archive.")
    def backup_restore(archive: str, with_config: bool) -> None:
        """Restore an archive into the configured database, which must be empty."""
        from pathlib import Path

        from server.core import backup
        try:
            found = backup.restore(Path(archive), with_config=with_config)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"restored {len(found)} tables, {sum(found.values())} rows; every "
                   "table's count matches the archive")

    keys = click.Group("keys", help="SECRET_KEY rotation (server/core/keys.py).")
    app.cli.add_command(keys)

    @keys.command("rotate")
    def rotate() -> None:
        """Re-encrypt every stored ID number with the current SECRET_KEY (run after moving
        the old one into SECRET_KEY_FALLBACKS)."""
        from server.accounts.identity import Rotated, reencrypt_batch
        done, after = Rotated(), 0
        while (batch := reencrypt_batch(after_id=after, now=clock.now())) is not None:
            db.session.commit()
            done.changed += batch.changed
            done.current += batch.current
            done.unreadable += batch.unreadable
            after = batch.last_id
        click.echo(f"re-encrypted {done.changed} ID numbers; {done.current} were already "
                   f"under the current key; {done.unreadable} could not be read by any key")
        if done.unreadable:
            raise click.ClickException("some ID numbers need a key that is no longer listed")

    activities = click.Group("activities", help="Activity housekeeping.")
    app.cli.add_command(activities)

    checkin = click.Group("checkin", help="Check-in housekeeping.")
    app.cli.add_command(checkin)

    hours = click.Group("hours", help="Volunteer hours housekeeping.")
    app.cli.add_command(hours)

    @hours.command("check-queue")
    def check_queue() -> None:
        """Compare the review queue (hour_queue) with the hours ledger, the source of truth."""
        from server.hours import ledger
        report_drift(ledger.queue_drift(), "the review queue agrees with the ledger")

    @hours.command("check-replaced")
    def check_replaced() -> None:
        """List approved hours still counting beside their approved replacement."""
        from server.hours import repair
        report_drift([c.describe() for c in repair.double_counted()],
                     "no approved hours count beside their replacement")

    @hours.command("settle-replaced")
    def settle_replaced() -> None:
        """Reverse approved hours that still count beside their approved replacement."""
        from server.hours import repair
        settled = repair.settle(now=clock.now())
        db.session.commit()
        for pair in settled:
            click.echo(f"reversed: {pair.describe()}")
        click.echo(f"{len(settled)} entries reversed")

    @hours.command("rebuild-queue")
    def rebuild_queue() -> None:
        """Set the review queue (hour_queue) from the hours ledger."""
        from server.hours import ledger
        ledger.rebuild_queue()
        db.session.commit()
        click.echo("the review queue was rebuilt from the ledger")

    @checkin.command("auto-checkout")
    def auto_checkout() -> None:
        """Check out, at the activity's end, everyone still checked in after it ended."""
        from server.checkin.closing import auto_check_out_due
        count = auto_check_out_due(now=clock.now())
        db.session.commit()
        outbox.run()
        click.echo(f"checked out {count} people automatically")

    @activities.command("verify-draw")
    @click.argument("activity_id", type=int)
    def verify_draw(activity_id: int) -> None:
        """Re-run an activity's lottery from its published seed and compare the order."""
        from server.activities import lottery
        record = lottery.draw_of(activity_id)
        if record is None:
            raise click.ClickException(f"activity {activity_id} has no lottery draw")
        check = lottery.verify(record)
        click.echo(f"algorithm {record.algorithm}, {len(record.entrants)} entrants, "
                   f"{record.winners} places")
        click.echo(f"commitment sha256(seed): {'ok' if check.commitment_ok else 'MISMATCH'}")
        click.echo(f"drawn order: {'ok' if check.order_ok else 'MISMATCH'}")
        if not check.ok:
            click.echo(f"expected {check.expected}")
            click.echo(f"published {check.published}")
            raise click.ClickException("the published draw does not match its seed")
        click.echo("verified: the published draw follows from its seed")

    @activities.command("finish-due")
    def finish_due() -> None:
        """Finish every activity past its end and its exit grace, now: the scheduler's
        finish_due job, run once by hand (recorded like its runs)."""
        from server.scheduler.models import JobRun
        from server.scheduler.runner import new_holder, run_job
        run = db.session.get(JobRun, run_job(app, "finish_due", holder=f"cli:{new_holder()}",
                                             check_lease=False))
        click.echo(f"finished {run.done} activities")
        if run.message:
            click.echo(f"  the run failed: {run.message}")
        for failure in run.failures:
            click.echo(f"  {failure['subject']}: {failure['error']}")


def report(result, url: str) -> str:
    """What `flask seed-demo` prints: what happened, the logins, where to start."""
    from server.core.clock import local
    from server.demo.seed import DEMO_PASSWORD
    said = {"seeded": "Seeded the demo.",
            "current": "The demo is current: nothing changed.",
            "rebuilt": "The demo had gone stale (its live activity was over): rebuilt it "
                       "for now; what was tried in it is gone.",
            "reset": "Emptied the database and seeded the demo afresh."}[result.how]
    lines = [f"\n五社通 Wushe demo — {said}",
             f"Log in at {url}/login — password for every demo account: {DEMO_PASSWORD}\n"]
    lines += [f"  {role:<12} {phone}  {name}  ({where})"
              for role, phone, name, where in result.logins]
    lines.append("\nTry this first:")
    lines += [f"  {tip.name} {tip.phone}  {url}{tip.path}\n      {tip.what}"
              for tip in result.tips]
    if result.live_ends_at is not None:
        lines.append(f"\nThe live activity ends at {local(result.live_ends_at):%H:%M} "
                     f"(Beijing time); `flask seed-demo` after {local(result.keep_until):%H:%M} "
                     f"rebuilds the demo for the new moment.")
    return "\n".join(lines) + "\n"
