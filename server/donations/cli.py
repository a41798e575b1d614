"""`flask donations check-stored` and `flask donations rebuild-stored`: the stored totals,
stock and gift tracing against a recomputation from the ledger (the source of truth)."""

from __future__ import annotations

import click
from sqlalchemy import select

from server.core import clock
from server.core.cli import report_drift
from server.donations.models import Fund
from server.donations.services import allocation, stored
from server.extensions import db


def check(fund_ids: list[int] | None = None) -> list[str]:
    """Every difference between what is stored and what the ledger says (empty: none)."""
    ids = fund_ids or list(db.session.scalars(select(Fund.id).order_by(Fund.id)))
    return [line for i in ids for line in (*stored.drift(i), *allocation.drift(i))]


def rebuild(fund_ids: list[int] | None = None) -> int:
    """Recompute the stored rows of these funds (all: the migration's backfill). Totals and
    stock are set from the ledger; the tracing gets the rows it lacks appended."""
    ids = fund_ids or list(db.session.scalars(select(Fund.id).order_by(Fund.id)))
    for i in ids:
        db.session.execute(select(Fund.id).where(Fund.id == i).with_for_update())
        stored.rebuild(i)
        allocation.sync(i, now=clock.now())
    return len(ids)


def register(group: click.Group) -> None:
    @group.command("check-stored")
    def check_stored() -> None:
        """Compare the stored fund totals, stock and gift tracing with the ledger."""
        report_drift(check(), "stored state agrees with the ledger")

    @group.command("rebuild-stored")
    def rebuild_stored() -> None:
        """Recompute the stored fund totals, stock and gift tracing from the ledger."""
        count = rebuild()
        db.session.commit()
        click.echo(f"rebuilt {count} funds")
