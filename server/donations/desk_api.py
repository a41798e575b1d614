"""/api/v1/desk: the coordinators' desk for donations. The pledge queue, recording what
arrived (one at a time or in a counted batch), hand-set ends, distributions, stock, and
running the funds themselves.

Who: the managers of a fund (funds.can_manage: coordinators and admins above its place,
organisers of its host charity). Two kinds of refusal, on purpose:
- an endpoint naming a fund (/desk/funds/<id>/...) answers 403 not_fund_manager: funds
  are public, so saying "not yours" gives nothing away;
- one naming a pledge, receipt or distribution of a fund the caller does not run answers
  404 (pledge_not_found, reference_not_found, ...): those hold donors' and households'
  details, and even their existence is not for other funds' staff.
"""

from __future__ import annotations

import marshmallow as ma
from flask_login import login_required
from marshmallow import validate as v

from server.accounts import permissions
from server.accounts.models import User
from server.core import clock
from server.core.api import Blueprint
from server.core.fields import Id, Whole
from server.core.pages import me
from server.donations import errors
from server.donations.api_schemas import (
    DistributionOut,
    DonationReasonIn,
    FundOut,
    FundProgressOut,
    FundView,
    ReceiptBatchIn,
    StockOut,
)
from server.donations.models import Fund, Pledge
from server.donations.movements import Distribution, Fulfilment
from server.donations.pledge_schemas import (
    DeskFulfilmentOut,
    DeskPledgeDetailOut,
    DeskPledgeOut,
    DeskPledgePageOut,
    PledgeView,
)
from server.donations.schemas import (
    DistributionIn,
    FundIn,
    FundPatch,
    PledgeForIn,
    ReceiptIn,
)
from server.donations.services import distribute, funds, intake, ledger, pledges, queue
from server.donations.vocab import PLEDGE_STATE

desk = Blueprint(
    "donations_desk_api", __name__, url_prefix="/api/v1/desk",
    description="The coordinators' desk: pledges, receipts, distributions, stock, funds.")
desk.before_request(permissions.gate(refuse=errors.NotManager))
blueprints = [desk]


class QueueArgs(ma.Schema):
    fund_id = Id(load_default=None)
    state = ma.fields.List(ma.fields.String(validate=v.OneOf(PLEDGE_STATE)), load_default=list)
    overdue = ma.fields.Boolean(load_default=False)
    q = ma.fields.String(load_default="", validate=v.Length(max=60),
                         metadata={"description": "reference code or donor name"})
    page = Whole(load_default=1, validate=v.Range(1, 100_000))
    per_page = Whole(load_default=queue.PER_PAGE, validate=v.Range(1, 100))


def staff() -> User:
    return funds.require_desk(me())


def managed_fund(fund_id: int) -> Fund:
    fund = funds.get_fund(fund_id)
    funds.require_manager(me(), fund)
    return fund


def managed_pledge(pledge_id: int) -> Pledge:
    """A pledge of a fund the caller runs; any other is "not found"."""
    return pledges.managed_pledge(pledge_id, me())


def managed_fulfilment(fulfilment_id: int) -> Fulfilment:
    return intake.managed_fulfilment(fulfilment_id, me())


def managed_distribution(distribution_id: int) -> Distribution:
    return distribute.managed_distribution(distribution_id, me())


def detail(pledge: Pledge) -> PledgeView:
    return PledgeView.of(pledge, now=clock.now(), detail=True, desk_user=me())


def brief(pledge: Pledge) -> PledgeView:
    return PledgeView.of(pledge, now=clock.now(), desk_user=me())


# --- pledges -------------------------------------------------------------------------------

@desk.route("/pledges", methods=["GET"])
@login_required
@desk.arguments(QueueArgs, location="query")
@desk.response(200, DeskPledgePageOut)
def pledge_queue(args):
    """Pledges of the funds I run: open ones first, oldest first, then the rest newest first;
    filter and search; a page at a time (`total` counts them all)."""
    user = staff()
    found = queue.desk(user, now=clock.now(), fund_id=args["fund_id"],
                       states=tuple(args["state"]), overdue=args["overdue"], q=args["q"],
                       page=args["page"], per_page=args["per_page"])
    return {"items": [PledgeView(r.pledge, r.state, r.overdue, r.received,
                                 actions=pledges.desk_actions(r.pledge, r.state, user))
                      for r in found.rows],
            "total": found.total, "page": found.page, "per_page": found.per_page,
            "pages": found.pages}


@desk.route("/pledges/by-reference/<code>", methods=["GET"])
@login_required
@desk.response(200, DeskPledgeDetailOut)
def pledge_by_reference(code):
    """The pledge a donor quotes at the table (case and spaces do not matter)."""
    pledge = pledges.by_reference(code)
    if not funds.can_manage(me(), pledge.fund):
        raise errors.ReferenceNotFound(reference=code.strip()[:20])
    return detail(pledge)


@desk.route("/pledges/<int:pledge_id>", methods=["GET"])
@login_required
@desk.response(200, DeskPledgeDetailOut)
def show_pledge(pledge_id):
    """One pledge: the donor's full phone, every receipt, and the version to confirm against."""
    return detail(managed_pledge(pledge_id))


@desk.route("/funds/<int:fund_id>/pledges", methods=["POST"])
@login_required
@desk.arguments(PledgeForIn)
@desk.response(201, DeskPledgeDetailOut)
def pledge_for_someone(data, fund_id):
    """Take down a pledge for someone not on a phone; recorded as taken by me."""
    pledge = pledges.create_pledge(managed_fund(fund_id), {**data, "for_someone_else": True},
                                   actor=me(), now=clock.now(), donor=None)
    return detail(pledge)


@desk.route("/pledges/<int:pledge_id>/accept", methods=["POST"])
@login_required
@desk.response(200, DeskPledgeOut)
def accept_pledge(pledge_id):
    """Accept a submitted pledge: the fund expects it."""
    return brief(pledges.transition(managed_pledge(pledge_id), "accept", actor=me(),
                                    now=clock.now()))


@desk.route("/pledges/<int:pledge_id>/reject", methods=["POST"])
@login_required
@desk.arguments(DonationReasonIn)
@desk.response(200, DeskPledgeOut)
def reject_pledge(data, pledge_id):
    """Decline a pledge before anything arrived, with a reason the donor reads."""
    return brief(pledges.transition(managed_pledge(pledge_id), "reject", actor=me(),
                                    now=clock.now(), reason=data["reason"]))


@desk.route("/pledges/<int:pledge_id>/cancel", methods=["POST"])
@login_required
@desk.arguments(DonationReasonIn)
@desk.response(200, DeskPledgeOut)
def cancel_pledge(data, pledge_id):
    """Cancel a pledge that will not come (the donor cannot be reached), with a reason."""
    return brief(pledges.transition(managed_pledge(pledge_id), "cancel", actor=me(),
                                    now=clock.now(), reason=data["reason"]))


@desk.route("/pledges/<int:pledge_id>/release", methods=["POST"])
@login_required
@desk.arguments(DonationReasonIn)
@desk.response(200, DeskPledgeOut)
def release_pledge(data, pledge_id):
    """Release the rest of a partly received pledge: what arrived stays, the rest is let go."""
    return brief(pledges.transition(managed_pledge(pledge_id), "release", actor=me(),
                                    now=clock.now(), reason=data["reason"]))


# --- receipts ------------------------------------------------------------------------------

@desk.route("/pledges/<int:pledge_id>/receipts", methods=["POST"])
@login_required
@desk.arguments(ReceiptIn)
@desk.response(201, DeskFulfilmentOut)
def record_receipt(data, pledge_id):
    """Record what really arrived for a pledge, against the version on screen (nonce: once)."""
    return intake.record(managed_pledge(pledge_id), data, actor=me(), now=clock.now())


@desk.route("/funds/<int:fund_id>/batches", methods=["POST"])
@login_required
@desk.arguments(ReceiptBatchIn)
@desk.response(201, DeskFulfilmentOut(many=True))
def record_batch(data, fund_id):
    """Record several money gifts at once; count and total must match, or nothing is kept."""
    return intake.record_batch(managed_fund(fund_id).id, data, actor=me(), now=clock.now())


@desk.route("/fulfilments/<int:fulfilment_id>/reverse", methods=["POST"])
@login_required
@desk.arguments(DonationReasonIn)
@desk.response(201, DeskFulfilmentOut)
def reverse_receipt(data, fulfilment_id):
    """Reverse a receipt recorded in error: a reversing record and ledger rows, never an edit."""
    return intake.reverse(managed_fulfilment(fulfilment_id), actor=me(),
                          reason=data["reason"], now=clock.now())


# --- giving out ----------------------------------------------------------------------------

@desk.route("/funds/<int:fund_id>/distributions", methods=["GET"])
@login_required
@desk.response(200, DistributionOut(many=True))
def list_distributions(fund_id):
    """Payouts and goods given out, newest first, recipients named in full (managers only)."""
    return ledger.distributions(managed_fund(fund_id))


@desk.route("/funds/<int:fund_id>/distributions", methods=["POST"])
@login_required
@desk.arguments(DistributionIn)
@desk.response(201, DistributionOut)
def create_distribution(data, fund_id):
    """Pay out money (with the committee decision) or hand over goods (with who signed)."""
    return distribute.distribute(managed_fund(fund_id).id, data, actor=me(), now=clock.now())


@desk.route("/distributions/<int:distribution_id>/reverse", methods=["POST"])
@login_required
@desk.arguments(DonationReasonIn)
@desk.response(201, DistributionOut)
def reverse_distribution(data, distribution_id):
    """Reverse a distribution recorded in error, with a reason kept on the ledger."""
    return distribute.reverse(managed_distribution(distribution_id), actor=me(),
                              reason=data["reason"], now=clock.now())


@desk.route("/funds/<int:fund_id>/stock", methods=["GET"])
@login_required
@desk.response(200, StockOut(many=True))
def fund_stock(fund_id):
    """Goods on hand per item: accepted minus given out, with their intake value."""
    return ledger.stock(managed_fund(fund_id).id)


# --- funds ---------------------------------------------------------------------------------

@desk.route("/funds", methods=["GET"])
@login_required
@desk.response(200, FundProgressOut(many=True))
def list_managed_funds():
    """The funds and campaigns I run, open ones first, with their progress."""
    found = funds.managed_funds(staff())
    figures = ledger.progress_of(found)
    return [FundView(fund, figures[fund.id]) for fund in found]


@desk.route("/funds", methods=["POST"])
@login_required
@desk.arguments(FundIn)
@desk.response(201, FundOut)
def create_fund(data):
    """Open a fund or campaign at a place I coordinate, hosted by a charity."""
    return funds.create_fund(data, actor=me(), now=clock.now())


@desk.route("/funds/<int:fund_id>", methods=["PATCH"])
@login_required
@desk.arguments(FundPatch)
@desk.response(200, FundOut)
def update_fund(data, fund_id):
    """Change a fund's texts, target, what it takes, or its closing day."""
    return funds.update_fund(managed_fund(fund_id), data, actor=me())


@desk.route("/funds/<int:fund_id>/close", methods=["POST"])
@login_required
@desk.response(200, FundOut)
def close_fund(fund_id):
    """Close a fund to new pledges; promised gifts can still arrive and be given out."""
    return funds.set_status(managed_fund(fund_id), "closed", actor=me())


@desk.route("/funds/<int:fund_id>/reopen", methods=["POST"])
@login_required
@desk.response(200, FundOut)
def reopen_fund(fund_id):
    """Open a closed fund to new pledges again."""
    return funds.set_status(managed_fund(fund_id), "open", actor=me())
