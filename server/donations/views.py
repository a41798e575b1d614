"""Page endpoints (thin): public fund pages and ledger, pledging, my pledges."""

from __future__ import annotations

from decimal import Decimal

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup

from server.accounts import permissions
from server.core import clock
from server.core.numbers import page_arg
from server.core.pages import FORM_ERRORS, form_input, load_form, me, problem
from server.donations import errors, money, page_forms, vocab
from server.donations.models import Fund, Pledge
from server.donations.schemas import DisplayIn, GoodsLineIn, PledgeEditIn, PledgeIn
from server.donations.services import (
    allocation,
    donor_display,
    funds,
    intake,
    ledger,
    pledges,
    queue,
)
from server.donations.vocab import ENDS

bp = Blueprint("donation_pages", __name__)
bp.add_app_template_global(vocab, "donation_labels")  # PLEDGE_STATE, CATEGORY, UNIT, …
bp.add_app_template_global(vocab.unit_word, "unit_word")  # 1 book, 20 books, 20本
LEDGER_PAGE = 30
RECENT = 10


@bp.app_template_filter("yuan")
def yuan_filter(amount: Decimal | None, sign: bool = False) -> Markup:
    """¥1,234.50, never through a float, marked .money: app.css keeps it on one line."""
    return Markup('<span class="money">{}</span>').format(money.fmt(amount, sign=sign))


@bp.app_template_global()
def percent(part: Decimal | None, whole: Decimal | None) -> int:
    """A whole percentage from 0 to 100 for a progress bar, in Decimal arithmetic."""
    if not whole or whole <= 0 or not part or part <= 0:
        return 0
    return min(100, int(part * 100 / whole))


@bp.app_template_global()
def public_name(pledge: Pledge | None) -> str:
    """The donor as they consented to appear; anonymous unless they chose otherwise."""
    return donor_display.public_name(pledge) if pledge is not None else ""


@bp.app_template_global()
def donations_desk_visible() -> bool:
    """Whether 我的 offers the donations desk: fund managers, and coordinators who may
    open a fund."""
    user = me()
    return bool(user and (permissions.assignments(user, "coordinator", "admin")
                          or funds.managed_funds(user)))


@bp.route("/funds")
def index():
    """Open funds and campaigns with what was pledged, received and given out."""
    found = funds.public_funds()
    figures = ledger.progress_of(found)
    return render_template("donations/index.html",
                           cards=[(fund, figures[fund.id]) for fund in found])


@bp.route("/funds/<int:fund_id>")
def fund(fund_id: int):
    """A fund's host, purpose, criteria, progress (cash and goods apart) and recent ledger."""
    found = funds.get_fund(fund_id)
    return render_template("donations/fund.html", fund=found, p=ledger.progress(found),
                           entries=ledger.entries(found, limit=RECENT),
                           total=ledger.count(found), manager=funds.can_manage(me(), found),
                           taking=funds.takes_pledges(found,
                                                      today=clock.local(clock.now()).date()))


@bp.route("/funds/<int:fund_id>/ledger")
def fund_ledger(fund_id: int):
    """The whole public ledger of a fund, newest first, a page at a time."""
    found = funds.get_fund(fund_id)
    total = ledger.count(found)
    last = max(1, -(-total // LEDGER_PAGE))
    page = page_arg(request.args.get("page"), last=last)
    entries = ledger.entries(found, limit=LEDGER_PAGE, offset=(page - 1) * LEDGER_PAGE)
    return render_template("donations/ledger.html", fund=found, entries=entries, page=page,
                           last=last, total=total)


# --- pledging ----------------------------------------------------------------------------

def _pledge_input(schema: ma.Schema, kind: str | None = None) -> dict:
    """The pledge form for `schema`: goods lines read from lines-N-*, and only the part
    of the form (money or goods) that was chosen; without JavaScript both are on screen."""
    data = form_input(schema)
    kind = kind or data.get("kind")
    if kind == "goods":
        data["lines"] = page_forms.lines_input(page_forms.raw_lines(request.form), GoodsLineIn())
        data.pop("amount", None)
    else:
        data.pop("lines", None)
        if kind == "money" and "amount" not in data:
            data["amount"] = ""  # a cleared amount is an error, not "no change"
    return schema.load(data, unknown=ma.EXCLUDE)


def _form_values() -> dict:
    values = request.form.to_dict()
    values["lines"] = page_forms.raw_lines(request.form) or [{}]
    values["wants_receipt"] = "wants_receipt" in request.form
    return values


def _problem(exc: Exception) -> tuple[str, dict, int]:
    return problem(exc)


def _pledge_form(fund: Fund, values: dict, *, pledge: Pledge | None = None, message=None,
                 fields=None, status: int = 200):
    return render_template("donations/pledge_form.html", fund=fund, pledge=pledge,
                           values=values, message=message, errors=fields or {},
                           user=me(), surname=donor_display.surname(me().name)), status


@bp.route("/funds/<int:fund_id>/pledge", methods=["GET", "POST"])
@login_required
def pledge(fund_id: int):
    """Pledge money or goods to a fund; the answer is a reference code to quote."""
    found = funds.get_fund(fund_id)
    if not funds.takes_pledges(found, today=clock.local(clock.now()).date()):
        # back to the fund's page, which says it is closed (and what it did with the gifts)
        flash(errors.FundClosed().text(), "warn")
        return redirect(url_for("donation_pages.fund", fund_id=fund_id), code=303)
    if request.method == "GET":
        user = me()
        return _pledge_form(found, {
            "kind": "money" if found.accepts_money else "goods", "display": "anonymous",
            "title": {"female": "ms", "male": "mr"}.get(user.gender or "", ""),
            "lines": [{}]})
    try:
        data = _pledge_input(PledgeIn())
        made = pledges.create_pledge(found, data, actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = _problem(exc)
        return _pledge_form(found, _form_values(), message=message, fields=fields,
                            status=status)
    return redirect(url_for("donation_pages.pledged", pledge_id=made.id))


def _own(pledge_id: int) -> Pledge:
    return pledges.own_pledge(pledge_id, me())


@bp.route("/pledges/<int:pledge_id>/done")
@login_required
def pledged(pledge_id: int):
    """The reference code of a new pledge, and what to do next."""
    return render_template("donations/pledged.html", pledge=_own(pledge_id))


@bp.route("/pledges")
@login_required
def mine():
    """My pledges with their state; overdue ones are marked."""
    return render_template("donations/mine.html",
                           rows=queue.rows(pledges.pledges_of(me()), now=clock.now()))


def _why_locked(found: Pledge, state: str, got=None) -> str | None:
    """Why what was promised can no longer change, or None while it still can."""
    if state in ENDS:
        return errors.PledgeEnded(state=vocab.PLEDGE_STATE[state]).text()
    if not pledges.changeable(found, got):
        return errors.PledgeLocked().text()
    return None


def _detail(found: Pledge, *, form: str | None = None, message=None, fields=None,
            values=None, status: int = 200):
    got = pledges.received(found)
    state = pledges.state(found, got)
    return render_template(
        "donations/pledge.html", pledge=found, state=state, got=got,
        overdue=pledges.is_overdue(found, now=clock.now(), current=state),
        fulfilments=intake.fulfilments_of(found), funded=allocation.funded_by(found),
        locked=_why_locked(found, state, got),
        withdraw_reasons=page_forms.WITHDRAW_REASONS,
        can_withdraw=pledges.may_withdraw(found, state, got),
        form=form, message=message, errors=fields or {}, values=values or {}), status


@bp.route("/pledges/<int:pledge_id>")
@login_required
def pledge_detail(pledge_id: int):
    """My pledge: what I promised, what arrived, what it funded; change, edit, withdraw."""
    return _detail(_own(pledge_id))


@bp.route("/pledges/<int:pledge_id>/display", methods=["POST"])
@login_required
def set_display(pledge_id: int):
    """Change how my name appears in public (allowed at any time)."""
    found = _own(pledge_id)
    try:
        donor_display.set_display(found, load_form(DisplayIn()), actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _detail(found, form="display", message=message, fields=fields,
                       values=request.form.to_dict(), status=status)
    flash(_("Saved. Public pages show your new choice at once."), "success")
    return redirect(url_for("donation_pages.pledge_detail", pledge_id=pledge_id))


@bp.route("/pledges/<int:pledge_id>/withdraw", methods=["POST"])
@login_required
def withdraw(pledge_id: int):
    """Withdraw my pledge, with a reason, before anything was received."""
    found = _own(pledge_id)
    try:
        reason = page_forms.withdraw_reason(request.form)
        pledges.transition(found, "withdraw", actor=me(), now=clock.now(), reason=reason)
    except FORM_ERRORS as exc:
        message, fields, status = problem(exc)
        return _detail(found, form="withdraw", message=message, fields=fields,
                       values=request.form.to_dict(), status=status)
    flash(_("Your pledge is withdrawn."), "success")
    return redirect(url_for("donation_pages.pledge_detail", pledge_id=pledge_id))


def _edit_values(found: Pledge) -> dict:
    return {"kind": found.kind, "amount": f"{found.amount:.2f}" if found.amount else "",
            "due_on": found.due_on.isoformat() if found.due_on else "",
            "wants_receipt": found.wants_receipt, "note": found.note,
            "lines": [{"category": x.category, "item": x.item, "unit": x.unit,
                       "quantity": str(x.quantity), "condition": x.condition,
                       "expires_on": x.expires_on.isoformat() if x.expires_on else ""}
                      for x in found.lines] or [{}]}


@bp.route("/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pledge_id: int):
    """Change what or when I promised, only before anything was received."""
    found = _own(pledge_id)
    if request.method == "GET":
        locked = _why_locked(found, pledges.state(found))
        if locked:
            flash(locked, "warning")
            return redirect(url_for("donation_pages.pledge_detail", pledge_id=pledge_id))
        return _pledge_form(found.fund, _edit_values(found), pledge=found)
    try:
        data = _pledge_input(PledgeEditIn(), kind=found.kind)
        pledges.edit_pledge(found, data, actor=me(), now=clock.now())
    except FORM_ERRORS as exc:
        message, fields, status = _problem(exc)
        values = {**_form_values(), "kind": found.kind}
        return _pledge_form(found.fund, values, pledge=found, message=message, fields=fields,
                            status=status)
    flash(_("Your pledge is changed."), "success")
    return redirect(url_for("donation_pages.pledge_detail", pledge_id=pledge_id))
