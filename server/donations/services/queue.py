"""The coordinators' desk: pledges across the funds a person runs, with their derived
state and overdue flag, computed in bulk (one grouped query, not one per pledge), a page
at a time: whether a pledge is open is stored (ended by hand, or fulfilled), so SQL pages."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.orm import selectinload

from server.accounts.models import User
from server.core.clock import local
from server.donations import errors
from server.donations.models import Pledge
from server.donations.movements import Fulfilment, FulfilmentLine
from server.donations.services import funds, pledges, stored
from server.donations.services.pledges import Received
from server.donations.vocab import ENDS, OPEN_STATES, PLEDGE_STATE
from server.extensions import db


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


PER_PAGE = 50  # pledges on one page of the desk


@dataclass
class DeskPage:
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _got_anything():
    """SQL: something of the pledge arrived and was not reversed (received.anything)."""
    undone = select(Fulfilment.reverses_id).where(Fulfilment.reverses_id.is_not(None))
    return exists().where(Fulfilment.pledge_id == Pledge.id, Fulfilment.reverses_id.is_(None),
                          Fulfilment.id.not_in(undone.scalar_subquery()))


# as ix_pledges_open's condition reads, so PostgreSQL pages the open ones through it
OPEN = and_(Pledge.end_state.is_(None), ~Pledge.fulfilled)


def _state_is(state: str):
    """SQL: the pledge's derived state is `state` (fulfilled is stored, see pledges.settle)."""
    if state in ENDS:
        return Pledge.end_state == state
    if state == "fulfilled":
        return and_(Pledge.end_state.is_(None), Pledge.fulfilled.is_(True))
    if state == "partial":
        return and_(OPEN, _got_anything())
    accepted = Pledge.accepted_at.is_not(None)
    return and_(OPEN, ~_got_anything(), accepted if state == "accepted" else ~accepted)


def _page_ids(conds: list, counted, start: int, per_page: int) -> tuple[dict[int, int],
                                                                      int | None]:
    """The ids on one page of the desk ({id: place}) and the total (`counted`), in one
    statement that never sorts a fund's whole history: the open pledges in id order through
    ix_pledges_open, then the rest newest first, skipping as many of them as the earlier
    pages showed beyond the open ones."""
    opened = select(func.count(Pledge.id)).where(*conds, OPEN).scalar_subquery()
    skip = start - opened
    first = (select(Pledge.id.label("id"), literal(0).label("part"), Pledge.id.label("rank"))
             .where(*conds, OPEN).order_by(Pledge.id).limit(per_page).offset(start)
             .subquery())
    rest = (select(Pledge.id.label("id"), literal(1).label("part"), (-Pledge.id).label("rank"))
            .where(*conds, not_(OPEN)).order_by(Pledge.id.desc()).limit(per_page)
            .offset(case((skip > 0, skip), else_=0)).subquery())
    both = union_all(select(first), select(rest)).subquery()
    found = db.session.execute(select(both.c.id, counted.scalar_subquery())
                               .order_by(both.c.part, both.c.rank).limit(per_page)).all()
    return {row[0]: n for n, row in enumerate(found)}, (found[0][1] if found else None)


def desk(user: User, *, now: datetime, fund_id: int | None = None,
         states: tuple[str, ...] = (), overdue: bool = False, q: str = "",
         page: int = 1, per_page: int = PER_PAGE) -> DeskPage:
    """The work first: open pledges, oldest first, as they are worked through; then the
    rest, newest first. Filter by fund, state, overdue, or a reference code / donor name
    typed into the search box. A page at a time (_page_ids), in the same statements for
    any page; unfiltered, the total is the stored count (fund_balances.pledges_made)."""
    managed = [f.id for f in funds.managed_funds(user)]
    if fund_id is not None:
        if fund_id not in managed:  # another fund's queue: refused, not an empty list
            raise errors.NotManager()
        managed = [fund_id]
    if not managed:
        return DeskPage([], 0, page, per_page)
    conds = [Pledge.fund_id.in_(managed)]
    text = q.strip()
    if text:
        code = pledges.normalise_reference(text)
        conds.append(or_(Pledge.reference == code,
                         Pledge.donor_name.contains(text, autoescape=True),
                         Pledge.donor_org.contains(text, autoescape=True)))
    if states and set(states) != set(PLEDGE_STATE):
        conds.append(or_(*(_state_is(s) for s in states)))
    if overdue:
        conds += [OPEN, Pledge.due_on < local(now).date()]
    if text or overdue or (states and set(states) != set(PLEDGE_STATE)):
        counted = select(func.count(Pledge.id)).where(*conds)
    else:
        counted = stored.pledge_counts(managed)
    ids, total = _page_ids(conds, counted, (page - 1) * per_page, per_page)
    if total is None:  # an empty page: the total did not come with its rows
        total = db.session.scalar(counted) or 0
    found = sorted(db.session.scalars(
        select(Pledge).where(Pledge.id.in_(ids))
        .options(selectinload(Pledge.lines), selectinload(Pledge.fund))), key=lambda p: ids[p.id])
    return DeskPage(rows(found, now=now), total, page, per_page)


def waiting(user: User, *, now: datetime) -> tuple[int, int]:
    """(open pledges to confirm, how many of them are overdue) across the funds a person
    runs, for their daily summary."""
    managed = [f.id for f in funds.managed_funds(user)]
    if not managed:
        return 0, 0
    open_ones, late = db.session.execute(
        select(func.count(Pledge.id),
               func.count(Pledge.id).filter(Pledge.due_on < local(now).date()))
        .where(Pledge.fund_id.in_(managed), OPEN)).one()
    return open_ones, late


def falling_due(day, *, now: datetime) -> list[int]:
    """Open pledges of registered donors that fall due on `day` (for their reminder)."""
    candidates = list(db.session.scalars(
        select(Pledge).where(Pledge.due_on == day, Pledge.end_state.is_(None),
                             Pledge.donor_id.is_not(None)).order_by(Pledge.id)))
    return [r.pledge.id for r in rows(candidates, now=now) if r.state in OPEN_STATES]
