"""Command-line entry points. Each command is one unit of work."""

from __future__ import annotations

import click
from flask import Flask

from server.core import clock
from server.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load demo data from the seed article (idempotent) and print demo logins."""
        from server.demo.seed import DEMO_PASSWORD, seed
        logins = seed(now=clock.now())
        db.session.commit()
        click.echo("\n五社通 Wushe demo — log in at http://127.0.0.1:5000/login")
        click.echo(f"Password for every demo account: {DEMO_PASSWORD}\n")
        for role, phone, name, where in logins:
            click.echo(f"  {role:<12} {phone}  {name}  ({where})")
        click.echo("")

    activities = click.Group("activities", help="Activity housekeeping.")
    app.cli.add_command(activities)

    checkin = click.Group("checkin", help="Check-in housekeeping.")
    app.cli.add_command(checkin)

    @checkin.command("auto-checkout")
    def auto_checkout() -> None:
        """Check out, at the activity's end, everyone still checked in after it ended."""
        from server.checkin.services import auto_check_out_due
        count = auto_check_out_due(now=clock.now())
        db.session.commit()
        click.echo(f"checked out {count} people automatically")

    @activities.command("finish-due")
    def finish_due() -> None:
        """Mark every published activity that has ended as finished."""
        from server.activities.services import finish_due as run
        count = run(now=clock.now())
        db.session.commit()
        click.echo(f"finished {count} activities")
