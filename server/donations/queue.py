"""The coordinators' desk: pledges across the funds a person runs, with their derived
state and overdue flag, computed in bulk (one grouped query, not one per pledge)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from server.accounts.models import User
from server.donations import errors, funds, pledges
from server.donations.models import Pledge
from server.donations.movements import Fulfilment, FulfilmentLine
from server.donations.pledges import Received
from server.donations.vocab import ENDS, OPEN_STATES
from server.extensions import db

LIMIT = 200
CHUNK = 500


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


def _scan(query, keep, *, now: datetime, limit: int, newest_first: bool) -> list[Row]:
    """Rows of `query` that `keep` wants, read a chunk at a time (states are derived, so
    they cannot all be filtered in SQL) until `limit` are found. Keyset paging on the id:
    rows added meanwhile are neither skipped nor read twice."""
    found: list[Row] = []
    last = None
    order = Pledge.id.desc() if newest_first else Pledge.id
    while len(found) < limit:
        page = query.order_by(order).limit(CHUNK)
        if last is not None:
            page = page.where(Pledge.id < last if newest_first else Pledge.id > last)
        chunk = list(db.session.scalars(page))
        found.extend(r for r in rows(chunk, now=now) if keep(r))
        if len(chunk) < CHUNK:
            break
        last = chunk[-1].id
    return found[:limit]


def desk(user: User, *, now: datetime, fund_id: int | None = None,
         states: tuple[str, ...] = (), overdue: bool = False, q: str = "") -> list[Row]:
    """The work first: open pledges, oldest first, as they are worked through; then the
    rest, newest first. Filter by fund, state, overdue, or a reference code / donor name
    typed into the search box."""
    managed = [f.id for f in funds.managed_funds(user)]
    if fund_id is not None:
        if fund_id not in managed:  # another fund's queue: refused, not an empty list
            raise errors.NotManager()
        managed = [fund_id]
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
    wanted = set(states) or set(OPEN_STATES) | {"fulfilled", *ENDS}

    def keep(open_ones: bool):
        return lambda r: ((r.state in OPEN_STATES) == open_ones and r.state in wanted
                          and (r.overdue or not overdue))

    result: list[Row] = []
    if wanted & set(OPEN_STATES):
        result = _scan(query.where(Pledge.end_state.is_(None)), keep(True), now=now,
                       limit=LIMIT, newest_first=False)
    rest = wanted - set(OPEN_STATES)
    if len(result) < LIMIT and rest and not overdue:
        if rest <= set(ENDS):  # ended by hand: stored, so SQL can pick them
            query = query.where(Pledge.end_state.in_(rest))
        elif "fulfilled" in rest and not rest & set(ENDS):
            query = query.where(Pledge.end_state.is_(None))
        result += _scan(query, keep(False), now=now, limit=LIMIT - len(result),
                        newest_first=True)
    return result


def waiting(user: User, *, now: datetime) -> tuple[int, int]:
    """(open pledges to confirm, how many of them are overdue) across the funds a person
    runs, for their daily summary (counted up to the desk's LIMIT)."""
    found = desk(user, now=now, states=tuple(OPEN_STATES))
    return len(found), sum(r.overdue for r in found)


def falling_due(day, *, now: datetime) -> list[int]:
    """Open pledges of registered donors that fall due on `day` (for their reminder)."""
    candidates = list(db.session.scalars(
        select(Pledge).where(Pledge.due_on == day, Pledge.end_state.is_(None),
                             Pledge.donor_id.is_not(None)).order_by(Pledge.id)))
    return [r.pledge.id for r in rows(candidates, now=now) if r.state in OPEN_STATES]
