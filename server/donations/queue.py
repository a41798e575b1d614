"""The coordinators' desk: pledges across the funds a person runs, with their derived
state and overdue flag, computed in bulk (one grouped query, not one per pledge)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from server.accounts.models import User
from server.donations import funds, pledges
from server.donations.models import Pledge
from server.donations.movements import Fulfilment, FulfilmentLine
from server.donations.pledges import Received
from server.extensions import db

LIMIT = 200


@dataclass
class Row:
    pledge: Pledge
    state: str
    overdue: bool
    received: Received


def received_for(pledge_ids: list[int]) -> dict[int, Received]:
    got: dict[int, Received] = defaultdict(Received)
    if not pledge_ids:
        return got
    for pid, n, amount, value in db.session.execute(
            select(Fulfilment.pledge_id, func.count(Fulfilment.id),
                   func.coalesce(func.sum(Fulfilment.amount), 0),
                   func.coalesce(func.sum(Fulfilment.in_kind_value), 0))
            .where(Fulfilment.pledge_id.in_(pledge_ids)).group_by(Fulfilment.pledge_id)):
        got[pid].count, got[pid].amount, got[pid].value = n, amount, value
    for pid, line_id, accepted, rejected in db.session.execute(
            select(Fulfilment.pledge_id, FulfilmentLine.pledge_line_id,
                   func.sum(FulfilmentLine.accepted), func.sum(FulfilmentLine.rejected))
            .join(Fulfilment).where(Fulfilment.pledge_id.in_(pledge_ids))
            .group_by(Fulfilment.pledge_id, FulfilmentLine.pledge_line_id)):
        if line_id is None:
            got[pid].extra_quantity += accepted + rejected
        else:
            got[pid].delivered[line_id] = accepted + rejected
            got[pid].accepted[line_id] = accepted
    return got


def rows(found: list[Pledge], *, now: datetime) -> list[Row]:
    got = received_for([p.id for p in found])
    out = []
    for p in found:
        current = pledges.state(p, got[p.id])
        out.append(Row(p, current, pledges.is_overdue(p, now=now, current=current), got[p.id]))
    return out


def desk(user: User, *, now: datetime, fund_id: int | None = None,
         states: tuple[str, ...] = (), overdue: bool = False, q: str = "") -> list[Row]:
    """Open pledges first (oldest first, as they are worked through); filter by fund,
    state, overdue, or a reference code / donor name typed into the search box."""
    managed = [f.id for f in funds.managed_funds(user)]
    if fund_id is not None:
        managed = [f for f in managed if f == fund_id]
    if not managed:
        return []
    query = (select(Pledge).where(Pledge.fund_id.in_(managed))
             .options(selectinload(Pledge.lines), selectinload(Pledge.fund)))
    text = q.strip()
    if text:
        code = pledges.normalise_reference(text)
        query = query.where(or_(Pledge.reference == code,
                                Pledge.donor_name.contains(text, autoescape=True),
                                Pledge.donor_org.contains(text, autoescape=True)))
    if states and set(states) <= {"rejected", "withdrawn", "cancelled", "released"}:
        query = query.where(Pledge.end_state.in_(states))
    elif states and not set(states) & {"rejected", "withdrawn", "cancelled", "released"}:
        query = query.where(Pledge.end_state.is_(None))
    found = list(db.session.scalars(query.order_by(Pledge.id.desc()).limit(LIMIT * 5)))
    result = rows(found, now=now)
    if states:
        result = [r for r in result if r.state in states]
    if overdue:
        result = [r for r in result if r.overdue]
    order = {"submitted": 0, "accepted": 1, "partial": 2}
    result.sort(key=lambda r: (order.get(r.state, 3), r.pledge.created_at, r.pledge.id))
    return result[:LIMIT]
