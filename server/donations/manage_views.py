"""Page endpoints (thin) for coordinators: the pledge queue, intake, batches,
distributions, and the funds they run."""

from __future__ import annotations

import secrets

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from server.communities.services import organisations_visible_to
from server.core import clock
from server.core.pages import FORM_ERRORS, form_input, is_htmx, load_args, load_form, me, problem
from server.donations import cli, errors, page_forms
from server.donations.models import Fund, Pledge
from server.donations.schemas import (
    BatchIn,
    DistributionIn,
    FundIn,
    FundPatch,
    IntakeLineIn,
    ReasonIn,
    ReceiptIn,
)
from server.donations.services import distribute, funds, intake, ledger, limits, pledges, queue

bp = Blueprint("donation_desk", __name__, cli_group="donations")
cli.register(bp.cli)


def _today_text() -> str:
    return clock.local(clock.now()).date().isoformat()


def _reason() -> str:
    """The reason typed for an end or a reversal. A blank one goes on to the service,
    which says it is required (next to the box); anything typed is held to ReasonIn."""
    if not request.form.get("reason", "").strip():
        return ""
    return load_form(ReasonIn())["reason"]


def _managed(fund_id: int) -> Fund:
    """A fund I run; anyone else is told only its coordinators may."""
    fund = funds.get_fund(fund_id)
    funds.require_manager(me(), fund)
    return fund


# --- the queue ----------------------------------------------------------------------------

@bp.route("/desk")
@login_required
def desk():
    """Pledges across the funds I run; search by reference code or donor name."""
    user = funds.require_desk(me())
    managed = funds.managed_funds(user)
    args = load_args(page_forms.DeskArgs())
    found = queue.desk(user, now=clock.now(), fund_id=args.get("fund"),
                       states=(args["state"],) if args.get("state") else (),
                       overdue=args["overdue"], q=args["q"], page=args["page"])
    rows = found.rows
    code = pledges.normalise_reference(args["q"])
    if code and not is_htmx() and len(rows) == 1 and rows[0].pledge.reference == code:
        # a code read out at the table opens its pledge straight away
        return redirect(url_for("donation_desk.pledge", pledge_id=rows[0].pledge.id))
    missing = (errors.ReferenceNotFound(reference=args["q"].strip()).text()
               if args["q"].strip() and not rows else None)
    return render_template("donations/desk.html", rows=rows, desk=found, funds=managed,
                           args=args, missing=missing)


# --- one pledge: intake, the hand-set ends, reversals --------------------------------------

def _intake_defaults(found: Pledge, got) -> dict:
    """What is still outstanding, as the form's starting values."""
    rest, lines = pledges.outstanding(found, got)
    values = {"received_on": _today_text()}
    if not found.wants_receipt:  # the donor did not ask for one: ticked, to untick if given
        values["receipt_waived"] = "1"
    if rest is not None:
        values["amount"] = f"{rest:.2f}"
    for i, line in enumerate(found.lines):
        values[f"lines-{i}-accepted"] = str(lines[line.id])
    return values


def _desk_pledge(pledge_id: int, *, form: str | None = None, message=None, fields=None,
                 values=None, status: int = 200):
    user = me()
    found = pledges.managed_pledge(pledge_id, user)
    got = pledges.received(found)
    state = pledges.state(found, got)
    actions = pledges.desk_actions(found, state, user)
    arrived = intake.fulfilments_of(found)
    return render_template(
        "donations/desk_pledge.html", pledge=found, state=state, got=got, actions=actions,
        overdue=pledges.is_overdue(found, now=clock.now(), current=state),
        fulfilments=arrived, reversed_ids={f.reverses_id for f in arrived if f.reverses_id},
        own=limits.is_own(found, user), form=form, message=message, errors=fields or {},
        values=values or _intake_defaults(found, got),
        nonce=(values or {}).get("nonce") or secrets.token_urlsafe(16)), status


@bp.route("/desk/pledges/<int:pledge_id>")
@login_required
def pledge(pledge_id: int):
    """One pledge for its coordinators: donor, promise, what arrived, and the intake form."""
    return _desk_pledge(pledge_id)


def _receipt_input(found: Pledge) -> dict:
    data = form_input(ReceiptIn())
    if found.kind == "goods":
        rows = page_forms.raw_lines(request.form, keep_blank=True)
        data["lines"] = page_forms.lines_input(rows, IntakeLineIn())
        data.pop("amount", None)
    else:
        data.pop("lines", None)
    return ReceiptIn().load(data, unknown=ma.EXCLUDE)


@bp.route("/desk/pledges/<int:pledge_id>/receive", methods=["POST"])
@login_required
def receive(pledge_id: int):
    """Record what arrived (amount, or accepted and rejected quantities) and the receipt."""
    found = pledges.managed_pledge(pledge_id, me())
    try:
        intake.record(found, _receipt_input(found), actor=me(), now=clock.now())
    except (*FORM_ERRORS, errors.OwnPledge) as exc:
        message, fields, status = problem(exc)
        return _desk_pledge(pledge_id, form="receive", message=message, fields=fields,
                            values=request.form.to_dict(), status=status)
    flash(_("Recorded. The public ledger shows it now."), "success")
    return redirect(url_for("donation_desk.pledge", pledge_id=pledge_id))


@bp.route("/desk/pledges/<int:pledge_id>/<any(accept, reject, cancel, release):action>",
          methods=["POST"])
@login_required
def act(pledge_id: int, action: str):
    """Accept a pledge, or end it by hand (decline, cancel, release) with a reason."""
    found = pledges.managed_pledge(pledge_id, me())
    try:
        reason = "" if action == "accept" else _reason()
        pledges.transition(found, action, actor=me(), now=clock.now(), reason=reason)
    except (*FORM_ERRORS, errors.OwnPledge) as exc:
        message, fields, status = problem(exc)
        return _desk_pledge(pledge_id, form=action, message=message, fields=fields,
                            values={**request.form.to_dict(), "received_on": _today_text()},
                            status=status)
    done = {"accept": _("Accepted."), "reject": _("Declined."), "cancel": _("Cancelled."),
            "release": _("Released: what arrived stays, the rest is no longer expected.")}
    flash(done[action], "success")
    return redirect(url_for("donation_desk.pledge", pledge_id=pledge_id))


@bp.route("/desk/fulfilments/<int:fulfilment_id>/reverse", methods=["POST"])
@login_required
def reverse_fulfilment(fulfilment_id: int):
    """Reverse a receipt recorded in error, with a reason; the ledger shows the reversal."""
    found = intake.managed_fulfilment(fulfilment_id, me())
    pledge_id = found.pledge_id
    try:
        intake.reverse(found, actor=me(), reason=_reason(),
                       now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _desk_pledge(pledge_id, form=f"reverse-{fulfilment_id}", message=message,
                            fields=fields, status=status)
    flash(_("Reversed. The ledger keeps both entries."), "success")
    return redirect(url_for("donation_desk.pledge", pledge_id=pledge_id))


# --- a batch of money gifts -----------------------------------------------------------------

@bp.route("/desk/funds/<int:fund_id>/batch", methods=["GET", "POST"])
@login_required
def batch(fund_id: int):
    """Several money gifts at once, checked against a count and total made by hand."""
    fund = _managed(fund_id)
    if request.method == "GET":
        return render_template("donations/batch.html", fund=fund, errors={},
                               values={"received_on": _today_text(),
                                       "nonce": secrets.token_urlsafe(16)}, message=None)
    try:
        data = BatchIn().load(page_forms.batch_input(request.form, BatchIn()),
                              unknown=ma.EXCLUDE)
        done = intake.record_batch(fund.id, data, actor=me(), now=clock.now())
    except (*FORM_ERRORS, errors.ReferenceNotFound, errors.OwnPledge) as exc:
        message, fields, status = problem(exc)
        fields = page_forms.fold_batch_errors(
            fields, page_forms.batch_rows(request.form.get("items", "")), exc)
        return render_template("donations/batch.html", fund=fund, errors=fields,
                               values=request.form.to_dict(), message=message), (
            422 if status == 404 else status)
    flash(ngettext("%(num)d gift recorded.", "%(num)d gifts recorded.", len(done)), "success")
    return redirect(url_for("donation_desk.desk", fund=fund.id))


# --- giving out -------------------------------------------------------------------------------

def _distribute_page(fund: Fund, *, values=None, form=None, message=None, fields=None,
                     status: int = 200):
    dists, stock = ledger.distributions(fund), ledger.stock(fund.id)
    return render_template(
        "donations/distribute.html", fund=fund, stock=stock,
        balance=ledger.cash_balance(fund.id), distributions=dists,
        reversed_ids={d.reverses_id for d in dists if d.reverses_id},
        partners=[o for o in organisations_visible_to(me()) if o.active],
        stock_choices=page_forms.stock_choices(stock), form=form, message=message,
        errors=fields or {},
        values=values or {"kind": "goods", "recipient_kind": "household",
                          "distributed_on": _today_text()},
        nonce=(values or {}).get("nonce") or secrets.token_urlsafe(16)), status


@bp.route("/desk/funds/<int:fund_id>/distribute", methods=["GET", "POST"])
@login_required
def distribute_page(fund_id: int):
    """Stock on hand and cash balance; record a payout or goods given out, with sign-off."""
    fund = _managed(fund_id)
    if request.method == "GET":
        return _distribute_page(fund)
    try:
        data = DistributionIn().load(page_forms.distribution_input(request.form,
                                                                   DistributionIn()),
                                     unknown=ma.EXCLUDE)
        distribute.distribute(fund.id, data, actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        fields = page_forms.fold_distribution_errors(fields)
        return _distribute_page(fund, values=request.form.to_dict(), form="distribute",
                                message=message, fields=fields, status=status)
    flash(_("Recorded. The public ledger shows it with the recipient masked."), "success")
    return redirect(url_for("donation_desk.distribute_page", fund_id=fund.id))


@bp.route("/desk/distributions/<int:distribution_id>/reverse", methods=["POST"])
@login_required
def reverse_distribution(distribution_id: int):
    """Reverse a distribution recorded in error, with a reason."""
    found = distribute.managed_distribution(distribution_id, me())
    fund = funds.get_fund(found.fund_id)
    try:
        distribute.reverse(found, actor=me(), reason=_reason(),
                           now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _distribute_page(fund, form=f"reverse-{distribution_id}", message=message,
                                fields=fields, status=status)
    flash(_("Reversed. The ledger keeps both entries."), "success")
    return redirect(url_for("donation_desk.distribute_page", fund_id=fund.id))


# --- the funds I run ---------------------------------------------------------------------------

def _funds_page(*, values=None, message=None, fields=None, status: int = 200):
    user = me()
    managed, places = funds.managed_funds(user), funds.places_for(user)
    if not managed and not places:
        raise errors.NotManager()
    return render_template(
        "donations/funds_manage.html", funds=managed, places=places, hosts=funds.hosts(),
        values=values or {"kind": "fund", "accepts_money": True, "accepts_goods": True},
        message=message, errors=fields or {}), status


def _fund_values() -> dict:
    values = request.form.to_dict()
    for key in ("accepts_money", "accepts_goods"):
        values[key] = key in request.form
    return values


@bp.route("/desk/funds", methods=["GET", "POST"])
@login_required
def funds_page():
    """The funds I run, and a form to open a new one at a place I coordinate."""
    if request.method == "GET":
        return _funds_page()
    try:
        made = funds.create_fund(load_form(FundIn()), actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _funds_page(values=_fund_values(), message=message, fields=fields,
                           status=status)
    flash(_("The fund is open. Its public page is ready to share."), "success")
    return redirect(url_for("donation_pages.fund", fund_id=made.id))


def _edit_page(fund: Fund, *, values=None, message=None, fields=None, status: int = 200):
    if values is None:
        values = {k: getattr(fund, k) for k in funds.FIELDS}
        values["target_amount"] = f"{fund.target_amount:.2f}" if fund.target_amount else ""
    return render_template("donations/fund_edit.html", fund=fund, values=values,
                           message=message, errors=fields or {}), status


@bp.route("/desk/funds/<int:fund_id>/edit", methods=["GET", "POST"])
@login_required
def edit_fund(fund_id: int):
    """Change a fund's texts, target and what it accepts."""
    fund = _managed(fund_id)
    if request.method == "GET":
        return _edit_page(fund)
    try:
        funds.update_fund(fund, load_form(FundPatch()), actor=me())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _edit_page(fund, values=_fund_values(), message=message, fields=fields,
                          status=status)
    flash(_("Saved."), "success")
    return redirect(url_for("donation_pages.fund", fund_id=fund.id))


@bp.route("/desk/funds/<int:fund_id>/status", methods=["POST"])
@login_required
def fund_status(fund_id: int):
    """Close a fund to new pledges, or open it again."""
    fund = _managed(fund_id)
    status = "closed" if request.form.get("status") == "closed" else "open"
    funds.set_status(fund, status, actor=me())
    flash(_("The fund is closed to new pledges.") if status == "closed"
          else _("The fund is open again."), "success")
    return redirect(url_for("donation_desk.edit_fund", fund_id=fund.id))
