"""Funds and campaigns: who runs them, who may see them, opening and closing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from server.accounts import permissions
from server.accounts.models import User
from server.communities.models import Node, Organisation
from server.core.clock import local
from server.core.db import fetch
from server.donations import errors
from server.donations.models import Fund
from server.donations.services import stored
from server.extensions import db

FIELDS = ("kind", "title", "purpose", "criteria", "how_to_give", "target_amount",
          "goods_wanted", "accepts_money", "accepts_goods", "closes_on")


def get_fund(fund_id: int, *, lock: bool = False) -> Fund:
    """With lock: FOR NO KEY UPDATE, which the foreign-key checks of receipts being
    inserted into the fund (FOR KEY SHARE) do not wait for, so a batch and a distribution
    never deadlock over the fund row."""
    return fetch(Fund, fund_id, errors.FundNotFound, lock=lock, key_share=True)


def opened_on(fund: Fund):
    """The fund's first day (Beijing): nothing arrives or is handed out before it."""
    return local(fund.created_at).date()


def takes_pledges(fund: Fund, *, today) -> bool:
    """Open, and (for a campaign with a closing day) not past it."""
    return fund.status == "open" and (fund.closes_on is None or fund.closes_on >= today)


def can_manage(user: User | None, fund: Fund) -> bool:
    """Coordinators and admins above the fund's place, and the host charity's organisers."""
    return permissions.oversees(user, fund.node) or (
        fund.host_id in permissions.organiser_org_ids(user))


def require_desk(user: User | None) -> User:
    """The desk's lists show only what a person runs, but need someone on the staff side
    (an organiser, coordinator or admin): a resident has no desk at all."""
    if not permissions.has_any_role(user):
        raise errors.NotManager()
    return user


def require_manager(user: User | None, fund: Fund) -> None:
    if not can_manage(user, fund):
        raise errors.NotManager()


def public_funds(*, include_closed: bool = False) -> list[Fund]:
    query = select(Fund).options(joinedload(Fund.host), joinedload(Fund.node))
    if not include_closed:
        query = query.where(Fund.status == "open")
    return list(db.session.scalars(query.order_by(Fund.status.desc(), Fund.id.desc())))


def managed_funds(user: User | None) -> list[Fund]:
    """Every fund this person may run, open ones first."""
    paths = permissions.scope_paths(user, "coordinator", "admin")
    org_ids = permissions.organiser_org_ids(user)
    if not paths and not org_ids:
        return []
    query = (select(Fund).join(Node, Fund.node_id == Node.id)
             .where(or_(permissions.under(Node.path, paths), Fund.host_id.in_(org_ids)))
             .options(joinedload(Fund.host), joinedload(Fund.node))
             .order_by(Fund.status.desc(), Fund.id.desc()))
    return list(db.session.scalars(query))


def places_for(user: User | None) -> list[Node]:
    """Where this person may open a fund: at and below where they coordinate."""
    paths = permissions.scope_paths(user, "coordinator", "admin")
    if not paths:
        return []
    return list(db.session.scalars(select(Node).where(permissions.under(Node.path, paths))
                                   .order_by(Node.path)))


def hosts() -> list[Organisation]:
    """Who may host a fund: active charities and foundations (they issue receipts)."""
    return list(db.session.scalars(
        select(Organisation).where(Organisation.kind == "charity",
                                   Organisation.active.is_(True)).order_by(Organisation.name)))


def _check(data: dict) -> None:
    if data.get("accepts_money") is False and data.get("accepts_goods") is False:
        raise errors.AcceptsNothing()


def create_fund(data: dict, *, actor: User, now: datetime) -> Fund:
    """Open a fund at a place the actor coordinates, hosted by a charity."""
    node = db.session.get(Node, data["node_id"])
    host = db.session.get(Organisation, data["host_id"])
    if node is None or not permissions.oversees(actor, node):
        raise errors.NotManager()
    if host is None or host.kind != "charity" or not host.active:
        raise errors.HostNotCharity()
    _check(data)
    fund = Fund(node_id=node.id, host_id=host.id, status="open", created_by_id=actor.id,
                created_at=now, **{k: data[k] for k in FIELDS if k in data})
    fund.accepts_money = data.get("accepts_money", True)
    fund.accepts_goods = data.get("accepts_goods", True)
    db.session.add(fund)
    db.session.flush()
    stored.open_fund(fund.id)
    return fund


def update_fund(fund: Fund, data: dict, *, actor: User) -> Fund:
    require_manager(actor, fund)
    merged = {"accepts_money": fund.accepts_money, "accepts_goods": fund.accepts_goods, **data}
    _check(merged)
    for key in FIELDS:
        if key in data:
            setattr(fund, key, data[key])
    db.session.flush()
    return fund


def set_status(fund: Fund, status: str, *, actor: User) -> Fund:
    """Closing stops new pledges; what was promised can still arrive and be given out."""
    require_manager(actor, fund)
    fund.status = status
    db.session.flush()
    return fund
