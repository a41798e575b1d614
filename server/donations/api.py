"""/api/v1 donations: public funds and ledgers, my pledges (the coordinators' desk is in
desk_api.py).

Public answers never carry a phone, a donor id or a donor's name beyond what they
consented to (donor_display.public_name), and recipients only masked. Someone else's pledge
does not exist for me (404), never "forbidden": its existence is the donor's business.
"""

from __future__ import annotations

import math

import marshmallow as ma
from flask_login import login_required
from marshmallow import validate as v

from server.core import clock
from server.core.api import Blueprint
from server.core.fields import Whole
from server.core.pages import me
from server.donations import desk_api
from server.donations.api_schemas import (
    DonationReasonIn,
    FundPageOut,
    FundProgressOut,
    FundView,
    LedgerPageOut,
)
from server.donations.models import Pledge
from server.donations.pledge_schemas import (
    MyPledgeDetailOut,
    MyPledgeOut,
    PledgeView,
)
from server.donations.schemas import DisplayIn, PledgeEditIn, PledgeIn
from server.donations.services import csv_export, donor_display, funds, ledger, pledges
from server.donations.services import queue as desk_queue

RECENT = 10

funds_public = Blueprint(
    "funds_public", __name__, url_prefix="/api/v1/funds",
    description="Funds and campaigns in public: progress and the ledger (no login).")
my_pledges = Blueprint(
    "my_pledges", __name__, url_prefix="/api/v1",
    description="Pledging, and the logged-in donor's own pledges.")
blueprints = [funds_public, my_pledges, *desk_api.blueprints]


class LedgerArgs(ma.Schema):
    page = Whole(load_default=1, validate=v.Range(1, 100_000))
    per_page = Whole(load_default=20, validate=v.Range(1, 100))


def view_of(pledge: Pledge, **kwargs) -> PledgeView:
    return PledgeView.of(pledge, now=clock.now(), **kwargs)


def my_pledge(pledge_id: int) -> Pledge:
    return pledges.own_pledge(pledge_id, me())


# --- public ------------------------------------------------------------------------------

@funds_public.route("", methods=["GET"])
@funds_public.response(200, FundProgressOut(many=True))
def list_funds():
    """Open funds and campaigns with pledged, received and distributed so far."""
    found = funds.public_funds()
    figures = ledger.progress_of(found)
    return [FundView(fund, figures[fund.id]) for fund in found]


@funds_public.route("/<int:fund_id>", methods=["GET"])
@funds_public.response(200, FundPageOut)
def show_fund(fund_id):
    """A fund's page: host, purpose, criteria, progress (cash and goods) and latest ledger rows."""
    fund = funds.get_fund(fund_id)
    return FundView(fund, ledger.progress(fund), ledger.entries(fund, limit=RECENT),
                    ledger.count(fund))


@funds_public.route("/<int:fund_id>/ledger", methods=["GET"])
@funds_public.arguments(LedgerArgs, location="query")
@funds_public.response(200, LedgerPageOut)
def fund_ledger(args, fund_id):
    """The fund's public ledger, newest first, a page at a time."""
    fund = funds.get_fund(fund_id)
    total, size = ledger.count(fund), args["per_page"]
    return {"items": ledger.entries(fund, limit=size, offset=(args["page"] - 1) * size),
            "total": total, "page": args["page"], "per_page": size,
            "pages": max(1, math.ceil(total / size))}


@funds_public.route("/<int:fund_id>/ledger.csv", methods=["GET"])
@funds_public.response(200, {"type": "string", "format": "binary"}, content_type="text/csv",
                       description="UTF-8 with BOM; amounts as exact decimal text")
def ledger_csv(fund_id):
    """The fund's whole public ledger as a CSV download."""
    return csv_export.response(funds.get_fund(fund_id))


# --- mine --------------------------------------------------------------------------------

@my_pledges.route("/funds/<int:fund_id>/pledges", methods=["POST"])
@login_required
@my_pledges.arguments(PledgeIn)
@my_pledges.response(201, MyPledgeOut)
def create_pledge(data, fund_id):
    """Pledge money or goods; the answer carries the reference code to quote when giving."""
    pledge = pledges.create_pledge(funds.get_fund(fund_id), data, actor=me(), now=clock.now(),
                                   donor=me())
    return view_of(pledge)


@my_pledges.route("/me/pledges", methods=["GET"])
@login_required
@my_pledges.response(200, MyPledgeOut(many=True))
def list_my_pledges():
    """My pledges, newest first, with their state and what has arrived."""
    return desk_queue.rows(pledges.pledges_of(me()), now=clock.now())


@my_pledges.route("/me/pledges/<int:pledge_id>", methods=["GET"])
@login_required
@my_pledges.response(200, MyPledgeDetailOut)
def show_my_pledge(pledge_id):
    """One of my pledges: state, overdue, what arrived (and what not, why) and what it funded."""
    return view_of(my_pledge(pledge_id), detail=True, funded=True)


@my_pledges.route("/me/pledges/<int:pledge_id>", methods=["PATCH"])
@login_required
@my_pledges.arguments(PledgeEditIn)
@my_pledges.response(200, MyPledgeOut)
def edit_my_pledge(data, pledge_id):
    """Change the amount, goods or date of my pledge, only before anything has arrived."""
    return view_of(pledges.edit_pledge(my_pledge(pledge_id), data, actor=me(),
                                       now=clock.now()))


@my_pledges.route("/me/pledges/<int:pledge_id>/display", methods=["PUT"])
@login_required
@my_pledges.arguments(DisplayIn)
@my_pledges.response(200, MyPledgeOut)
def set_my_display(data, pledge_id):
    """Choose how my name appears in public (anonymous, 王女士, full name, organisation)."""
    return view_of(donor_display.set_display(my_pledge(pledge_id), data, actor=me(),
                                       now=clock.now()))


@my_pledges.route("/me/pledges/<int:pledge_id>/withdraw", methods=["POST"])
@login_required
@my_pledges.arguments(DonationReasonIn)
@my_pledges.response(200, MyPledgeOut)
def withdraw_my_pledge(data, pledge_id):
    """Withdraw my pledge, with a reason, before anything has arrived."""
    return view_of(pledges.transition(my_pledge(pledge_id), "withdraw", actor=me(),
                                      now=clock.now(), reason=data["reason"]))
