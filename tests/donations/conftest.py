"""Donations fixtures: a fund hosted by a charity, its coordinator, donors, and helpers
that pledge and receive through the real services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from server.donations.services import funds, intake, pledges
from tests.conftest import ApiClient


@pytest.fixture
def make_fund(make_node, make_org, make_user, grant, now):
    """make_fund(...) -> (fund, coordinator). The coordinator covers the fund's street."""

    def make(*, title="赵庄子爱心救助基金", kind="fund", node=None, target="210000.00",
             accepts_money=True, accepts_goods=True, coordinator=None):
        node = node or make_node(name="赵庄子村", kind="village")
        host = make_org(name=None, node=node.parent, kind="charity")
        if coordinator is None:
            coordinator = make_user(name="协调员王芳")
            grant(coordinator, "coordinator", node.parent)
        fund = funds.create_fund(
            {"kind": kind, "title": title, "purpose": "大病救助", "criteria": "本村大病患者家庭",
             "how_to_give": "村委会一楼", "host_id": host.id, "node_id": node.id,
             "target_amount": Decimal(target) if target else None,
             "accepts_money": accepts_money, "accepts_goods": accepts_goods},
            actor=coordinator, now=now - timedelta(days=30))  # opened a month ago
        return fund, coordinator
    return make


@pytest.fixture
def pledge_money(make_user, now):
    def make(fund, amount="500.00", *, donor=None, **extra):
        donor = donor or make_user(name="王小红")
        return pledges.create_pledge(fund, {"kind": "money", "amount": Decimal(amount), **extra},
                                     actor=donor, now=now)
    return make


@pytest.fixture
def pledge_goods(make_user, now):
    def make(fund, quantity=50, *, donor=None, item="儿童绘本", category="picture_books",
             unit="book", **extra):
        donor = donor or make_user(name="王小红")
        return pledges.create_pledge(
            fund, {"kind": "goods", "lines": [{"category": category, "item": item, "unit": unit,
                                               "quantity": quantity}], **extra},
            actor=donor, now=now)
    return make


@pytest.fixture
def receive(now):
    """receive(pledge, coordinator, amount=... | accepted=..., rejected=..., **extra)."""

    def do(pledge, actor, *, amount=None, accepted=None, rejected=0, reason=None,
           unit_value="10.00", **extra):
        data = {"version": pledge.version, "receipt_waived": True, **extra}
        if amount is not None:
            data["amount"] = Decimal(amount)
        if accepted is not None:
            data["lines"] = [{"pledge_line_id": pledge.lines[0].id, "accepted": accepted,
                              "rejected": rejected, "reject_reason": reason,
                              "unit_value": Decimal(unit_value)}]
        return intake.record(pledge, data, actor=actor, now=now)
    return do


@pytest.fixture
def as_user(app):
    """as_user(user) -> an API client logged in as them (None: nobody)."""
    def make(user=None):
        client = ApiClient(app.test_client())
        if user is not None:
            client.login(user)
        return client
    return make
