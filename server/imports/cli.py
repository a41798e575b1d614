"""`flask import-volunteers FILE --node ID --by PHONE [--dry-run]`: the same check and
confirm as the coordinator's page, with a progress bar; one unit of work."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from server.core import clock
from server.core.errors import WusheError
from server.extensions import db


def summary(totals: dict) -> str:
    from server.imports.errors import REASONS
    lines = []
    for sheet, title in (("people", "volunteers"), ("hours", "hours")):
        t = totals[sheet]
        lines.append(f"{title}: {t['new']} to add, {t['existing']} already there, "
                     f"{t['rejected']} rejected")
        lines += [f"  {count:>7}  {code}: {REASONS[code]}"
                  for code, count in sorted(t["reasons"].items())]
    return "\n".join(lines)


def register(app: Flask) -> None:
    @app.cli.command("import-volunteers")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--node", "node_id", type=int, required=True,
                  help="The place the roster belongs to (its communities and activities).")
    @click.option("--by", "phone", required=True,
                  help="Phone of the coordinator or admin importing (recorded on every row).")
    @click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
    def import_volunteers(path: str, node_id: int, phone: str, dry_run: bool) -> None:
        """Import an Excel roster of volunteers and their past hours."""
        from server.accounts.roles import find_user_by_phone
        from server.communities.models import Node
        from server.imports import resolve, services
        from server.imports.sheet import Workbook
        actor = find_user_by_phone(phone)
        node = db.session.get(Node, node_id)
        if actor is None or node is None:
            raise click.ClickException("no such person (--by) or place (--node)")
        try:
            with open(path, "rb") as fh:
                book = Workbook(fh)
                expected = sum(s.declared_rows for s in book.sheets.values())
                book.close()
                fh.seek(0)
                with click.progressbar(length=max(expected, 1), label="checking") as bar:
                    file = services.check_upload(actor=actor, node=node,
                                                 filename=Path(path).name, stream=fh,
                                                 now=clock.now(), progress=bar.update)
            totals = resolve.totals(file.id)
            click.echo(summary(totals))
            if dry_run:
                db.session.rollback()
                click.echo("dry run: nothing was written")
                return
            length = totals["people"]["new"] + totals["hours"]["new"]
            with click.progressbar(length=max(length, 1), label="writing") as bar:
                file = services.confirm(file, actor=actor, now=clock.now(),
                                        progress=bar.update)
            written = dict(file.written)
            db.session.commit()
        except WusheError as exc:
            db.session.rollback()
            raise click.ClickException(exc.text()) from None
        click.echo(f"imported {written['people']} volunteers and {written['hours']} hours "
                   f"records (import {file.id})")
