"""`flask stats …`: rebuild the statistics kept ready."""

from __future__ import annotations

import click
from flask import Flask

from server.core import clock
from server.extensions import db


def register(app: Flask) -> None:
    group = click.Group("stats", help="The dashboard's statistics (server/reports).")
    app.cli.add_command(group)

    @group.command("rebuild")
    def rebuild() -> None:
        """Recompute every month, quarter and year from the records."""
        from server.reports import rollups
        count = rollups.rebuild(now=clock.now())
        db.session.commit()
        click.echo(f"recomputed {count} periods")
